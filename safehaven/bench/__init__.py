"""Performance at clinic-network scale: synthetic data for every capability and a benchmark harness.

- `synth_more` adds the capabilities' rows (screening, care plans, directory, referrals,
  follow-up, consent) to a network made by `safehaven.core.synth.generate`.
- `harness` times the key requests through the full middleware stack and their floors.
- `report` writes `bench/results/*.json` and the table for `docs/benchmarks.md`.
"""
