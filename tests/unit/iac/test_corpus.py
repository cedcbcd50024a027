"""A labelled corpus of insecure and secure Terraform in real-world styles
(tests/fixtures/terraform/corpus.yaml): every insecure sample FAILs its check, and the secure
one gives that check no FAIL and at least one PASS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from secpillar.iac import IacOptions, run_iac

SAMPLES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parents[2] / "fixtures" / "terraform" / "corpus.yaml").read_text()
)


def statuses(tmp_path: Path, hcl: str, check: str) -> set[str]:
    (tmp_path / "main.tf").write_text(hcl)
    result = run_iac(IacOptions(path=str(tmp_path), checks=[check]))
    assert not result.warnings, result.warnings
    return {f.status.value for f in result.findings if f.check_id == check}


@pytest.mark.parametrize("sample", SAMPLES, ids=[f"{s['check']}#{i}" for i, s in enumerate(SAMPLES)])
def test_corpus_sample(sample: dict[str, Any], tmp_path: Path) -> None:
    (tmp_path / "bad").mkdir()
    (tmp_path / "good").mkdir()
    assert "FAIL" in statuses(tmp_path / "bad", sample["insecure"], sample["check"])
    assert statuses(tmp_path / "good", sample["secure"], sample["check"]) == {"PASS"}
