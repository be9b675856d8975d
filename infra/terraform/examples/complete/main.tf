# A complete, self-contained deployment: a small VPC with two public subnets (tasks get public IPs, so no NAT gateway
# is paid for while the workers sit at zero) and the whole of ebbflow in it.
#
#   terraform init
#   terraform apply -var image=<registry>/ebbflow:<tag> \
#     -var temporal_address=<ns>.<acct>.tmprl.cloud:7233 -var temporal_namespace=<ns>.<acct> \
#     -var temporal_api_key_secret_arn=<arn>

provider "aws" {
  region = var.region
}

data "aws_availability_zones" "available" {
  # checkov:skip=CKV_AWS_394:The example takes the first two zones of the region, whichever they are.
  state = "available"
}

locals {
  azs = slice(data.aws_availability_zones.available.names, 0, 2)

  tags = {
    Project = "ebbflow"
    Example = "complete"
  }
}

################################################################################
# Network
################################################################################

resource "aws_vpc" "this" {
  # checkov:skip=CKV2_AWS_11:A throwaway example network; flow logs cost more than everything else it runs at rest.
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = merge(local.tags, { Name = var.name })
}

# No rules: nothing uses the VPC's default security group.
resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id
  tags   = local.tags
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id
  tags   = local.tags
}

resource "aws_subnet" "this" {
  count = length(local.azs)

  vpc_id                  = aws_vpc.this.id
  availability_zone       = local.azs[count.index]
  cidr_block              = cidrsubnet(var.vpc_cidr, 8, count.index)
  map_public_ip_on_launch = false
  tags                    = merge(local.tags, { Name = "${var.name}-${local.azs[count.index]}" })
}

resource "aws_route_table" "this" {
  vpc_id = aws_vpc.this.id

  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.this.id
  }

  tags = local.tags
}

resource "aws_route_table_association" "this" {
  count = length(aws_subnet.this)

  subnet_id      = aws_subnet.this[count.index].id
  route_table_id = aws_route_table.this.id
}

################################################################################
# ebbflow
################################################################################

module "ebbflow" {
  source = "../../"

  name  = var.name
  image = var.image

  temporal = {
    address   = var.temporal_address
    namespace = var.temporal_namespace
  }

  # The key's ARN may be unknown until apply: the name alone decides what is created.
  secrets = var.temporal_api_key_secret_arn == null ? {} : { TEMPORAL_API_KEY = var.temporal_api_key_secret_arn }

  vpc_id           = aws_vpc.this.id
  subnet_ids       = aws_subnet.this[*].id
  assign_public_ip = true

  pipeline = {
    # An example should be removable in one command.
    force_destroy = true
  }

  worker = {
    cpu_architecture = "ARM64"
    use_spot         = true
  }

  bridge = {
    cpu_architecture = "ARM64"
  }

  scaler = {
    cpu_architecture = "ARM64"
    max_tasks        = 5
  }

  tags = local.tags
}
