"""Test fixtures every service's suite uses (loaded as a pytest plugin)."""
