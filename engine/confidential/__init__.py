"""Need-to-know and confidentiality: who may see a case, recusal, encryption at rest, disclosure, retention."""
