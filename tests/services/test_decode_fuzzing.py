"""A bounded run of the decode fuzzer (tests/fuzz/decode_target.py), and the seeds it starts from.

The harness runs in its own process, as libFuzzer must own the process: 45 s of coverage-guided
mutations of the committed corpus plus freshly built seeds, against the real libsndfile, ffprobe and
ffmpeg. It passes when libFuzzer exits cleanly: no input raised anything but an `AudioPipelineError`,
hung past the harness's timeout or outgrew its memory limit. The executions it managed are printed
(``-s``): on this 2-core machine 600-1200, 14-26 a second with the load, as most mutated inputs end
at an ffprobe or ffmpeg subprocess (50-250 ms) where the in-process paths take 1-5 ms. So this is a
smoke test of the harness and of the seeds' neighbourhood; ``./scripts/fuzz`` runs it for longer.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from audio_pipeline.decoding import decode, sniff_format
from fuzz import decode_target
from fuzz.seeds import CORPUS_DIR, MAX_SEED_BYTES, SEEDS, write_corpus

REPO_ROOT = Path(__file__).resolve().parents[2]
FUZZ_SECONDS = 45
MAX_CORPUS_FILES = 20
MAX_CORPUS_BYTES = 80_000

pytestmark = pytest.mark.skipif(
    not (shutil.which("ffmpeg") and shutil.which("ffprobe")), reason="needs ffmpeg and ffprobe (Debian package ffmpeg)"
)


@pytest.fixture(scope="module")
def fresh_seeds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeds as the builder makes them today (the committed ones may predate a change of it)."""
    directory = tmp_path_factory.mktemp("fresh-seeds")
    write_corpus(directory)
    return directory


def test_committed_corpus_is_small_and_every_seed_is_valid_audio_of_its_format(fresh_seeds: Path) -> None:
    committed = sorted(CORPUS_DIR.iterdir())
    assert [path.name for path in committed] == sorted(SEEDS), "rebuild it: ./scripts/fuzz --seeds"
    assert len(committed) <= MAX_CORPUS_FILES
    assert sum(path.stat().st_size for path in committed) < MAX_CORPUS_BYTES
    for path in [*committed, *sorted(fresh_seeds.iterdir())]:
        data = path.read_bytes()
        assert 0 < len(data) < MAX_SEED_BYTES, path
        assert sniff_format(data, decode_target.filename_for(data)) == SEEDS[path.name][0], path
    for path in committed:  # the fresh ones are decoded by the fuzzing run, which starts with every seed
        data = path.read_bytes()
        decode(data, max_duration_s=decode_target.MAX_DURATION_S, filename=decode_target.filename_for(data))


def test_fuzzing_sniffing_and_decoding_finds_no_crash(tmp_path: Path, fresh_seeds: Path) -> None:
    corpus = tmp_path / "corpus"  # libFuzzer adds the inputs it finds to the first directory
    shutil.copytree(CORPUS_DIR, corpus)
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    cmd = [
        sys.executable,
        str(REPO_ROOT / "tests" / "fuzz" / "decode_target.py"),
        f"-max_total_time={FUZZ_SECONDS}",
        f"-timeout={decode_target.LIBFUZZER_TIMEOUT_S}",
        f"-rss_limit_mb={decode_target.RSS_LIMIT_MB}",
        f"-artifact_prefix={artifacts}/",
        str(corpus),
        str(fresh_seeds),
    ]
    run = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        errors="replace",
        cwd=tmp_path,
        timeout=FUZZ_SECONDS + 2 * decode_target.LIBFUZZER_TIMEOUT_S,
        check=False,
    )

    found = sorted(path.name for path in artifacts.iterdir())
    tail = "\n".join(run.stderr.splitlines()[-60:])
    assert run.returncode == 0 and not found, f"libFuzzer exit {run.returncode}, saved in {artifacts}: {found}\n{tail}"
    stats = _final_stats(run.stderr)
    executions = stats["executions"]
    print(
        f"\ndecode fuzzing: {executions} executions in {FUZZ_SECONDS} s ({executions / FUZZ_SECONDS:.0f}/s), "
        f"corpus {stats['corpus_units']} inputs of {stats['corpus_size']} ({stats['new_units']} found), "
        f"{stats['coverage']} covered edges, peak RSS {stats['peak_rss_mb']} MB"
    )
    assert executions > 0


def _final_stats(stderr: str) -> dict[str, int | str]:
    """The figures libFuzzer prints at the end of a run: its DONE line and its -print_final_stats."""
    done = re.search(r"^#(\d+)\s+DONE\s+cov: (\d+) ft: \d+ corp: (\d+)/(\S+)", stderr, re.MULTILINE)
    executed = re.search(r"^stat::number_of_executed_units:\s+(\d+)", stderr, re.MULTILINE)
    added = re.search(r"^stat::new_units_added:\s+(\d+)", stderr, re.MULTILINE)
    rss = re.search(r"^stat::peak_rss_mb:\s+(\d+)", stderr, re.MULTILINE)
    assert done and executed and added and rss, f"no final statistics in libFuzzer's output:\n{stderr[-3000:]}"
    return {
        "executions": int(executed.group(1)),
        "coverage": int(done.group(2)),
        "corpus_units": int(done.group(3)),
        "corpus_size": done.group(4),
        "new_units": int(added.group(1)),
        "peak_rss_mb": int(rss.group(1)),
    }
