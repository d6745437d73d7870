terraform {
  # 1.6: the oldest release this module is tested against with `terraform fmt`; every
  # cross-variable rule lives in preconditions (validation blocks may only name their own
  # variable before 1.9).
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }
}
