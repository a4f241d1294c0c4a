"""./scripts/soak: the pipeline fed above its saturation for a while, to see what overload does to it.

A short closed-loop probe measures the saturation rate of the 10 s speech clips; then files arrive open
loop at `--overload` × that rate for `--duration`. What it shows: that refusals are NiFi's back-pressure
answer (HTTP 503) and nothing else, that no accepted file is lost, that queues stay bounded, that heap and
Python worker memory do not creep up, and the latency of what was accepted. Figures only: targets are
printed beside them, never asserted (tests/e2e/test_e2e_soak.py asserts the invariants).
"""
