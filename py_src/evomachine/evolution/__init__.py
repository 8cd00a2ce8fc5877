"""Task evolution: stages, policy, code synthesis and the evolutionary executor."""
