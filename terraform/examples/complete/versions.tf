terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }
}

# Deploy in the account and Region of the IAM Identity Center instance (the management account
# or the delegated administrator): the function reads sso-admin and identitystore there.
provider "aws" {
  region = var.region
}
