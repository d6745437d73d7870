terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }
}

# The account and Region of the IAM Identity Center instance.
provider "aws" {
  region = var.region
}
