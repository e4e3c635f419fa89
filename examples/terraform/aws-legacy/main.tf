# A legacy AWS setup: admin ports open "temporarily", a database reachable from anywhere.
variable "admin_cidrs" {
  description = "Who may reach the admin ports"
  type        = list(string)
  default     = ["10.0.0.0/8"]
}

variable "app_ports" {
  type    = list(number)
  default = [80, 443]
}

locals {
  db_port = 5432
}

resource "aws_security_group" "bastion" {
  name        = "bastion"
  description = "Bastion host"
  vpc_id      = aws_vpc.main.id

  ingress {
    description = "SSH"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = var.admin_cidrs
  }

  ingress {
    description = "RDP for the Windows jump box"
    from_port   = 3389
    to_port     = 3389
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group" "app" {
  name   = "app"
  vpc_id = aws_vpc.main.id

  dynamic "ingress" {
    for_each = var.app_ports
    content {
      from_port        = ingress.value
      to_port          = ingress.value
      protocol         = "tcp"
      cidr_blocks      = ["0.0.0.0/0"]
      ipv6_cidr_blocks = ["::/0"]
    }
  }
}

resource "aws_security_group_rule" "db_public" {
  type              = "ingress"
  from_port         = local.db_port
  to_port           = local.db_port
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
  security_group_id = aws_security_group.app.id
}

resource "aws_vpc_security_group_ingress_rule" "debug" {
  security_group_id = aws_security_group.app.id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "-1"
}

module "web_sg" {
  source        = "../modules/web-sg"
  name          = "legacy-web"
  allowed_cidrs = ["0.0.0.0/0"]
}

module "cache_sg" {
  source              = "terraform-aws-modules/security-group/aws"
  version             = "~> 5.0"
  name                = "cache"
  vpc_id              = aws_vpc.main.id
  ingress_cidr_blocks = ["0.0.0.0/0"]
  ingress_rules       = ["redis-tcp", "memcached-tcp"]
}
