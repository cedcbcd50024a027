"""secpillar iac against Checkov on the same generated Terraform folder, in the same run.

Generates a folder of AWS Terraform (default: 30 "services" of 13 resources, 390 resources, a mix
of provider v3 inline blocks and v4+ split resources, with deliberate flaws in some of them),
installs Checkov into its own virtual environment (``bench/.venv-checkov``, once), then times

    secpillar iac DIR --format json
    checkov -d DIR --framework terraform -o json --quiet

as subprocesses (process start included, best of ``--repeat``) and prints the speed ratio. Then
it compares the rule families both tools cover, resource by resource, and lists where the
verdicts differ. Not part of the test suite.

    python bench/iac_vs_checkov.py                 # full size
    python bench/iac_vs_checkov.py --units 5       # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _peer import peer_tool

HERE = Path(__file__).parent
VENV = HERE / ".venv-checkov"

# Rule families both tools cover: our check id -> the Checkov ids that judge the same thing.
FAMILIES: dict[str, tuple[str, ...]] = {
    "aws.s3.bucket-encryption-at-rest": ("CKV_AWS_19",),
    "aws.s3.bucket-versioning": ("CKV_AWS_21",),
    "aws.s3.bucket-access-logging": ("CKV_AWS_18",),
    "aws.s3.bucket-acl-not-public": ("CKV_AWS_20", "CKV_AWS_57"),
    "aws.s3.bucket-public-access-block": (
        "CKV2_AWS_6",
        "CKV_AWS_53",
        "CKV_AWS_54",
        "CKV_AWS_55",
        "CKV_AWS_56",
    ),
    "aws.ec2.sg-admin-ports-ipv4": ("CKV_AWS_24", "CKV_AWS_25"),
    "aws.rds.storage-encrypted": ("CKV_AWS_16",),
    "aws.rds.not-publicly-accessible": ("CKV_AWS_17",),
    "aws.ec2.ebs-volume-encrypted": ("CKV_AWS_3",),
    "aws.kms.key-rotation-enabled": ("CKV_AWS_7",),
    "aws.cloudtrail.log-file-validation": ("CKV_AWS_36",),
    "aws.cloudtrail.multi-region": ("CKV_AWS_67",),
    "aws.cloudtrail.kms-encryption": ("CKV_AWS_35",),
    "aws.ec2.imdsv2-required": ("CKV_AWS_79",),
    "aws.ecr.scan-on-push": ("CKV_AWS_163",),
    "aws.ecr.tag-immutability": ("CKV_AWS_51",),
    "aws.iam.policy-no-admin-star": ("CKV_AWS_62",),
    "aws.iam.user-no-direct-policies": ("CKV_AWS_40",),
    "aws.ec2.vpc-flow-logs": ("CKV2_AWS_11",),
}


IMDS_REQUIRED = 'metadata_options {\n    http_tokens = "required"\n  }'


def unit(i: int) -> str:
    """One service's worth of Terraform (13 resources); flaws vary with ``i``."""
    bad = i % 3 == 0
    v3 = i % 2 == 0
    if v3:
        bucket = f'''
resource "aws_s3_bucket" "data{i}" {{
  bucket = "acme-data-{i}"
  acl    = "{"public-read" if bad else "private"}"
  versioning {{ enabled = {str(not bad).lower()} }}
  {"" if bad else f'logging {{ target_bucket = "acme-logs-{i}" }}'}
  server_side_encryption_configuration {{
    rule {{
      apply_server_side_encryption_by_default {{ sse_algorithm = "aws:kms" }}
    }}
  }}
}}
resource "aws_s3_bucket_public_access_block" "data{i}" {{
  bucket                  = aws_s3_bucket.data{i}.id
  block_public_acls       = true
  ignore_public_acls      = true
  block_public_policy     = {str(not bad).lower()}
  restrict_public_buckets = true
}}
'''
    else:
        bucket = f'''
resource "aws_s3_bucket" "data{i}" {{ bucket = "acme-data-{i}" }}
resource "aws_s3_bucket_versioning" "data{i}" {{
  bucket = aws_s3_bucket.data{i}.id
  versioning_configuration {{ status = "{"Suspended" if i % 5 == 1 else "Enabled"}" }}
}}
resource "aws_s3_bucket_server_side_encryption_configuration" "data{i}" {{
  bucket = aws_s3_bucket.data{i}.id
  rule {{
    apply_server_side_encryption_by_default {{
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.k{i}.arn
    }}
  }}
}}
'''
    admin = i % 4 == 0
    return (
        bucket
        + f'''
resource "aws_kms_key" "k{i}" {{
  description         = "service {i}"
  enable_key_rotation = {str(i % 4 != 1).lower()}
}}
resource "aws_vpc" "v{i}" {{ cidr_block = "10.{i % 250}.0.0/16" }}
resource "aws_subnet" "s{i}" {{
  vpc_id     = aws_vpc.v{i}.id
  cidr_block = "10.{i % 250}.1.0/24"
}}
{
            ""
            if i % 3 == 2
            else f"""resource "aws_flow_log" "f{i}" {{
  vpc_id          = aws_vpc.v{i}.id
  traffic_type    = "ALL"
  log_destination = "arn:aws:s3:::acme-flow-logs"
  log_destination_type = "s3"
}}"""
        }
resource "aws_security_group" "web{i}" {{
  name   = "web-{i}"
  vpc_id = aws_vpc.v{i}.id
  ingress {{
    from_port   = {22 if bad else 443}
    to_port     = {22 if bad else 443}
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }}
  egress {{
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }}
}}
resource "aws_db_instance" "db{i}" {{
  identifier          = "db-{i}"
  engine              = "postgres"
  instance_class      = "db.t3.micro"
  allocated_storage   = 20
  storage_encrypted   = {str(i % 5 != 0).lower()}
  publicly_accessible = {str(i % 7 == 0).lower()}
}}
resource "aws_instance" "app{i}" {{
  ami           = "ami-12345678"
  instance_type = "t3.micro"
  subnet_id     = aws_subnet.s{i}.id
  {"" if i % 4 == 3 else IMDS_REQUIRED}
}}
resource "aws_ebs_volume" "vol{i}" {{
  availability_zone = "eu-west-1a"
  size              = 20
  encrypted         = {str(i % 6 != 0).lower()}
}}
resource "aws_ecr_repository" "repo{i}" {{
  name                 = "app-{i}"
  image_tag_mutability = "{"MUTABLE" if i % 2 else "IMMUTABLE"}"
  image_scanning_configuration {{ scan_on_push = {str(i % 3 != 1).lower()} }}
}}
resource "aws_cloudtrail" "trail{i}" {{
  name                       = "trail-{i}"
  s3_bucket_name             = "acme-trail-logs"
  is_multi_region_trail      = {str(i % 2 == 0).lower()}
  enable_log_file_validation = {str(i % 5 != 2).lower()}
  kms_key_id                 = {f"aws_kms_key.k{i}.arn" if i % 3 else "null"}
}}
resource "aws_iam_policy" "p{i}" {{
  name   = "svc-{i}"
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = {'"*"' if admin else '["s3:GetObject"]'}, Resource = "*" }}]
  }})
}}
resource "aws_iam_user" "u{i}" {{ name = "svc-user-{i}" }}
resource "aws_iam_user_policy_attachment" "u{i}" {{
  user       = aws_iam_user.u{i}.name
  policy_arn = aws_iam_policy.p{i}.arn
}}
'''
    )


def generate(folder: Path, units: int) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "providers.tf").write_text('provider "aws" {\n  region = "eu-west-1"\n}\n')
    for i in range(units):
        (folder / f"service_{i:03d}.tf").write_text(unit(i))
    text = "".join(p.read_text() for p in folder.glob("*.tf"))
    return text.count('\nresource "')


def timed(cmd: list[str], repeat: int, env: dict[str, str] | None = None) -> tuple[float, str]:
    best, out = float("inf"), ""
    for _ in range(repeat):
        started = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
        elapsed = time.perf_counter() - started
        if proc.returncode not in (0, 1, 3):
            raise SystemExit(f"{cmd[0]} failed ({proc.returncode}): {proc.stderr[-2000:]}")
        best, out = min(best, elapsed), proc.stdout
    return best, out


def ours(text: str) -> dict[tuple[str, str], str]:
    data = json.loads(text)
    out: dict[tuple[str, str], str] = {}
    for f in data["findings"]:
        if f["check_id"] in FAMILIES and f["status"] in ("FAIL", "PASS"):
            key = (f["check_id"], f["address"])
            out[key] = "FAIL" if f["status"] == "FAIL" or out.get(key) == "FAIL" else "PASS"
    return out


def checkovs(text: str) -> dict[tuple[str, str], str]:
    data = json.loads(text)
    reports = data if isinstance(data, list) else [data]
    by_ckv = {ckv: fam for fam, ids in FAMILIES.items() for ckv in ids}
    out: dict[tuple[str, str], str] = {}
    for rep in reports:
        results = rep.get("results") or {}
        for status, key in (("PASS", "passed_checks"), ("FAIL", "failed_checks")):
            for c in results.get(key) or ():
                fam = by_ckv.get(c["check_id"])
                if fam is None:
                    continue
                k = (fam, c["resource"])
                out[k] = "FAIL" if status == "FAIL" or out.get(k) == "FAIL" else "PASS"
    return out


ALIASES = {
    # Checkov reports these families on the part resource; secpillar on the resource it folds into
    # (the generated parts share the name of their bucket/user).
    "aws_s3_bucket_public_access_block.": "aws_s3_bucket.",
    "aws_iam_user_policy_attachment.": "aws_iam_user.",
}


def _alias(address: str) -> str:
    for part, whole in ALIASES.items():
        if address.startswith(part):
            return whole + address[len(part) :]
    return address


def compare(a: dict[tuple[str, str], str], b: dict[tuple[str, str], str]) -> int:
    """``--quiet`` makes Checkov list only its failures: a resource secpillar judged that Checkov
    did not fail counts as a Checkov PASS. Returns the number of differing verdicts."""
    b = {(fam, _alias(addr)): s for (fam, addr), s in b.items()}
    print("\nrule families both cover (secpillar check <-> Checkov ids): agree / differ on the resources")
    total = 0
    for fam, ids in FAMILIES.items():
        ka = sorted(k for k in a if k[0] == fam)
        extra = sorted(k for k in b if k[0] == fam and k not in a)
        differ = [k for k in ka if a[k] != b.get(k, "PASS")]
        total += len(differ) + len(extra)
        fails = sum(1 for k in ka if a[k] == "FAIL")
        print(
            f"  {fam:38} {'+'.join(ids):42} {len(ka) - len(differ):4} / {len(differ) + len(extra):3}"
            f"   (secpillar FAIL {fails})"
        )
        for k in differ[:3]:
            print(f"      differs on {k[1]}: secpillar {a[k]}, Checkov {b.get(k, 'PASS')}")
        for k in extra[:3]:
            print(f"      Checkov FAILs {k[1]}, which secpillar does not judge in this family")
    return total


def byte_compile() -> int:
    """Byte-compile secpillar's modules, as `pip install` does for Checkov's (and for secpillar's
    own, installed the ordinary way). An editable install under PYTHONDONTWRITEBYTECODE=1 (set on
    these machines) would otherwise compile ~100 modules from source on every run (~0.15 s)."""
    import secpillar

    package = Path(secpillar.__file__).parent
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True, capture_output=True)
    return sum(1 for _ in package.rglob("*.pyc"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--units", type=int, default=30, help="services of 13 resources each (default 30)")
    ap.add_argument("--repeat", type=int, default=3, help="best of N runs per tool (default 3)")
    ap.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    args = ap.parse_args()
    checkov = peer_tool(VENV, "checkov", "checkov")
    compiled = byte_compile()
    tmp = Path(tempfile.mkdtemp(prefix="iac-bench-"))
    folder = args.keep or tmp / "tf"
    try:
        n = generate(folder, args.units)
        print(f"generated {n} AWS resources in {folder}; secpillar byte-compiled ({compiled} .pyc)")
        ours_cmd = [sys.executable, "-m", "secpillar.cli.main", "iac", str(folder), "--format", "json"]
        ck_cmd = [str(checkov), "-d", str(folder), "--framework", "terraform", "-o", "json", "--quiet"]
        cold = {**os.environ, "SECPILLAR_CACHE_DIR": "off"}
        warm = {**os.environ, "SECPILLAR_CACHE_DIR": str(tmp / "hcl-cache")}
        t_ours, out_ours = timed(ours_cmd, args.repeat, cold)
        t_ck, out_ck = timed(ck_cmd, args.repeat)
        timed(ours_cmd, 1, warm)  # fills the parse cache (not counted)
        t_warm, _ = timed(ours_cmd, args.repeat, warm)
        print(f"\nsecpillar iac : {t_ours:6.2f} s (best of {args.repeat}, start included, no parse cache)")
        print(f"checkov       : {t_ck:6.2f} s (best of {args.repeat}, process start included)")
        print(f"ratio         : secpillar is {t_ck / t_ours:.1f}x faster (target >= 5x)")
        print(
            f"(again on unchanged files, with secpillar's HCL parse cache: {t_warm:.2f} s, "
            f"{t_ck / t_warm:.1f}x; the pre-commit/CI re-run case)"
        )
        a, b = ours(out_ours), checkovs(out_ck)
        differ = compare(a, b)
        print(
            f"\nshared families: {len(FAMILIES)}; verdicts compared: {len(a)}; differing: {differ}; "
            f"secpillar FAIL {sum(1 for v in a.values() if v == 'FAIL')}, "
            f"Checkov FAIL {sum(1 for v in b.values() if v == 'FAIL')}"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
