"""Handing work on (issue 11): 转办 transfer, 委派 delegate and hand back, 退回 send back, 抄送 copy in.

Every operation respects recusal and need-to-know the way claiming does: a recused caller gets
403 (404 on a confidential report, whose existence is not confirmed to them), and only people
inside the case's circle (its access list, minus the recused) are offered or accepted as `to`.
Each is one audit event and notifies whoever the work reaches.
"""
