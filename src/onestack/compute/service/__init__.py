"""Compute use cases: the only compute layer that opens transactions and checks policy.
Route modules under ``compute/api`` parse, call one function here and render."""
