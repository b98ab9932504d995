"""The facade's operations by capability: each a mixin of `engine.facade.ComplaintEngine`."""
