"""The mig-versus-Alembic benchmark of issue 7: ``python -m benchmarks.run`` (see
``docs/performance.md``). Not part of the test suite's pass/fail;
``tests/layout/test_benchmark_smoke.py`` only checks that its pieces work on a tiny history."""
