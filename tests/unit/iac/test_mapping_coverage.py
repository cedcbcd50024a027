"""Every AWS provider resource the issue lists is mapped (none left in `unmapped`), and every
finding on them carries the file and line of its block; values unknown until apply stay unknown."""

from __future__ import annotations

from pathlib import Path

from secpillar.iac import IacOptions, run_iac

MODULE = """
resource "aws_s3_bucket" "b" { bucket = "data" }
resource "aws_s3_bucket_public_access_block" "b" { bucket = aws_s3_bucket.b.id }
resource "aws_s3_bucket_server_side_encryption_configuration" "b" {
  bucket = aws_s3_bucket.b.id
  rule {
    apply_server_side_encryption_by_default { sse_algorithm = "AES256" }
  }
}
resource "aws_s3_bucket_policy" "b" {
  bucket = aws_s3_bucket.b.id
  policy = jsonencode({ Version = "2012-10-17", Statement = [] })
}
resource "aws_s3_bucket_acl" "b" {
  bucket = aws_s3_bucket.b.id
  acl    = "private"
}
resource "aws_s3_bucket_versioning" "b" {
  bucket = aws_s3_bucket.b.id
  versioning_configuration { status = "Enabled" }
}
resource "aws_s3_bucket_logging" "b" {
  bucket        = aws_s3_bucket.b.id
  target_bucket = "logs"
}
resource "aws_s3_account_public_access_block" "a" { block_public_acls = true }
resource "aws_vpc" "v" { cidr_block = "10.0.0.0/16" }
resource "aws_subnet" "s" {
  vpc_id     = aws_vpc.v.id
  cidr_block = "10.0.1.0/24"
}
resource "aws_internet_gateway" "igw" { vpc_id = aws_vpc.v.id }
resource "aws_nat_gateway" "nat" { subnet_id = aws_subnet.s.id }
resource "aws_route_table" "rt" { vpc_id = aws_vpc.v.id }
resource "aws_route" "r" {
  route_table_id         = aws_route_table.rt.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.igw.id
}
resource "aws_route_table_association" "a" {
  subnet_id      = aws_subnet.s.id
  route_table_id = aws_route_table.rt.id
}
resource "aws_network_acl" "n" { vpc_id = aws_vpc.v.id }
resource "aws_network_acl_rule" "n" {
  network_acl_id = aws_network_acl.n.id
  rule_number    = 100
  egress         = false
  protocol       = "tcp"
  rule_action    = "allow"
  cidr_block     = "0.0.0.0/0"
  from_port      = 22
  to_port        = 22
}
resource "aws_flow_log" "f" {
  vpc_id          = aws_vpc.v.id
  traffic_type    = "ALL"
  log_destination = "arn:aws:s3:::flow"
  log_destination_type = "s3"
}
resource "aws_ec2_transit_gateway" "tgw" {}
resource "aws_ec2_transit_gateway_vpc_attachment" "att" {
  transit_gateway_id = aws_ec2_transit_gateway.tgw.id
  vpc_id             = aws_vpc.v.id
  subnet_ids         = [aws_subnet.s.id]
}
resource "aws_ec2_transit_gateway_route_table" "tgw" { transit_gateway_id = aws_ec2_transit_gateway.tgw.id }
resource "aws_ec2_transit_gateway_route" "tgw" {
  destination_cidr_block         = "0.0.0.0/0"
  transit_gateway_route_table_id = aws_ec2_transit_gateway_route_table.tgw.id
  blackhole                      = true
}
resource "aws_security_group" "g" {
  name   = "g"
  vpc_id = aws_vpc.v.id
}
resource "aws_security_group_rule" "g" {
  type              = "ingress"
  security_group_id = aws_security_group.g.id
  from_port         = 443
  to_port           = 443
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
}
resource "aws_vpc_security_group_ingress_rule" "g" {
  security_group_id = aws_security_group.g.id
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
  cidr_ipv4         = "10.0.0.0/8"
}
resource "aws_vpc_security_group_egress_rule" "g" {
  security_group_id = aws_security_group.g.id
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}
resource "aws_db_instance" "d" {
  identifier     = "d"
  engine         = "postgres"
  instance_class = "db.t3.micro"
}
resource "aws_rds_cluster" "c" {
  cluster_identifier = "c"
  engine             = "aurora-postgresql"
}
resource "aws_iam_user" "u" { name = "u" }
resource "aws_iam_group" "grp" { name = "grp" }
resource "aws_iam_user_group_membership" "m" {
  user   = aws_iam_user.u.name
  groups = [aws_iam_group.grp.name]
}
resource "aws_iam_role" "r" {
  name               = "r"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:*" }]
  })
}
resource "aws_iam_policy" "p" {
  name   = "p"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "*" }]
  })
}
resource "aws_iam_role_policy_attachment" "r" {
  role       = aws_iam_role.r.name
  policy_arn = aws_iam_policy.p.arn
}
resource "aws_iam_group_policy_attachment" "g" {
  group      = aws_iam_group.grp.name
  policy_arn = aws_iam_policy.p.arn
}
resource "aws_iam_user_policy_attachment" "u" {
  user       = aws_iam_user.u.name
  policy_arn = aws_iam_policy.p.arn
}
resource "aws_kms_key" "k" {}
resource "aws_cloudtrail" "t" {
  name           = "t"
  s3_bucket_name = "trail"
}
resource "aws_ebs_volume" "v" {
  availability_zone = "us-east-1a"
  size              = 8
}
resource "aws_ebs_encryption_by_default" "e" {}
resource "aws_instance" "i" {
  ami           = "ami-1"
  instance_type = "t3.micro"
}
resource "aws_launch_template" "lt" { name = "lt" }
resource "aws_ecr_repository" "r" { name = "r" }
resource "aws_cloudfront_origin_access_control" "oac" {
  name                              = "oac"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}
resource "aws_cloudfront_origin_access_identity" "oai" {}
resource "aws_cloudfront_distribution" "d" {
  enabled = true
  origin {
    domain_name              = aws_s3_bucket.b.bucket_regional_domain_name
    origin_id                = "s3"
    origin_access_control_id = aws_cloudfront_origin_access_control.oac.id
  }
  origin {
    domain_name = aws_s3_bucket.b.bucket_regional_domain_name
    origin_id   = "legacy"
    s3_origin_config {
      origin_access_identity = aws_cloudfront_origin_access_identity.oai.cloudfront_access_identity_path
    }
  }
  default_cache_behavior {
    target_origin_id       = "s3"
    viewer_protocol_policy = "https-only"
    allowed_methods        = ["GET", "HEAD"]
    cached_methods         = ["GET", "HEAD"]
  }
  restrictions {
    geo_restriction { restriction_type = "none" }
  }
  viewer_certificate { cloudfront_default_certificate = true }
}
"""

TYPES = {
    "AWS::S3::Bucket",
    "AWS::::Account",
    "AWS::::AccountRegion",
    "AWS::EC2::VPC",
    "AWS::EC2::Subnet",
    "AWS::EC2::InternetGateway",
    "AWS::EC2::NatGateway",
    "AWS::EC2::RouteTable",
    "AWS::EC2::NetworkAcl",
    "AWS::EC2::TransitGateway",
    "AWS::EC2::TransitGatewayAttachment",
    "AWS::EC2::TransitGatewayRouteTable",
    "AWS::EC2::SecurityGroup",
    "AWS::RDS::DBInstance",
    "AWS::RDS::DBCluster",
    "AWS::IAM::User",
    "AWS::IAM::Group",
    "AWS::IAM::Role",
    "AWS::IAM::Policy",
    "AWS::KMS::Key",
    "AWS::CloudTrail::Trail",
    "AWS::EC2::Volume",
    "AWS::EC2::Instance",
    "AWS::EC2::LaunchTemplate",
    "AWS::ECR::Repository",
    "AWS::CloudFront::Distribution",
}


def test_every_listed_resource_is_mapped_and_located(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(MODULE)
    result = run_iac(IacOptions(path=str(tmp_path)))
    (root,) = result.roots
    assert result.unmapped == {}, result.unmapped
    assert result.warnings == []
    declared = {r.resource_type for r in root.mapped.resources if r.arn not in root.mapped.assumed}
    assert declared >= TYPES, TYPES - declared
    assert result.findings
    lines = MODULE.splitlines()
    for f in result.findings:
        loc = f.location or {}
        assert loc.get("file") == str(tmp_path / "main.tf"), f
        assert lines[int(loc["line"]) - 1].startswith("resource "), f
        assert loc["address"] and lines[int(loc["line"]) - 1].split('"')[1] == loc["address"].split(".")[0]


def test_unknown_launch_template_options_and_cluster_encryption(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'variable "tokens" {}\nvariable "enc" {}\n'
        'resource "aws_launch_template" "lt" {\n  name = "lt"\n'
        "  metadata_options { http_tokens = var.tokens }\n}\n"
        'resource "aws_rds_cluster" "c" {\n  cluster_identifier = "c"\n  engine = "aurora-mysql"\n'
        "  storage_encrypted = var.enc\n}\n"
    )
    checks = ["aws.ec2.imdsv2-required", "aws.rds.storage-encrypted"]
    result = run_iac(IacOptions(path=str(tmp_path), checks=checks))
    assert result.findings == []
    assert sorted((u.check_id, u.address) for u in result.unknown) == [
        ("aws.ec2.imdsv2-required", "aws_launch_template.lt"),
        ("aws.rds.storage-encrypted", "aws_rds_cluster.c"),
    ]
    (tmp_path / "terraform.tfvars").write_text('tokens = "required"\nenc = false\n')
    result = run_iac(IacOptions(path=str(tmp_path), checks=checks))
    assert sorted((f.check_id, f.status.value) for f in result.findings) == [
        ("aws.ec2.imdsv2-required", "PASS"),
        ("aws.rds.storage-encrypted", "FAIL"),
    ]


def test_a_module_is_not_the_whole_account(tmp_path: Path) -> None:
    """Only the account settings a module declares are judged on the account pseudo resources;
    "no trail / no alarm anywhere in the account" is for the live scan."""
    (tmp_path / "main.tf").write_text(
        'resource "aws_s3_account_public_access_block" "a" { block_public_acls = true }\n'
        'resource "aws_ebs_encryption_by_default" "e" {}\n'
    )
    result = run_iac(IacOptions(path=str(tmp_path)))
    assert sorted((f.check_id, f.status.value) for f in result.findings) == [
        ("aws.ec2.ebs-default-encryption", "PASS"),
        ("aws.s3.account-public-access-block", "FAIL"),
    ]
    assert result.unknown == []
