# Inputs of the module. Each rule here turns what would be an error at apply time (or a
# silently useless deployment) into an error at plan time. Rules that involve two variables
# are preconditions in preconditions.tf.

# --- Naming ---------------------------------------------------------------------------------

variable "name" {
  description = "Name of the Lambda function; also the prefix of the roles, queue, alarms and schedule the module creates."
  type        = string
  default     = "idc-credential-report"

  validation {
    # 64 is IAM's limit for role names, and Lambda's for function names; the longest suffixes
    # added here are "-remediation" and "-rem-runbook" (12).
    condition     = can(regex("^[A-Za-z0-9_-]{1,52}$", var.name))
    error_message = "name must be 1 to 52 letters, digits, '-' or '_' (role names built from it are limited to 64 characters)."
  }
}

variable "tags" {
  description = "Tags added to every resource that takes tags."
  type        = map(string)
  default     = {}
}

# --- The function ---------------------------------------------------------------------------

variable "lambda_zip_path" {
  description = "Path of the deployment zip built by package.sh (holds the `bootstrap` binary for arm64). Null means target/lambda/idc-credential-report.zip in this repository."
  type        = string
  default     = null

  validation {
    condition     = var.lambda_zip_path == null || can(regex("\\.zip$", var.lambda_zip_path))
    error_message = "lambda_zip_path must name a .zip file."
  }
}

variable "memory_size" {
  description = "Memory of the function in MB. CPU grows with it; 1024 reads a mid-size organization comfortably."
  type        = number
  default     = 1024

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240 && floor(var.memory_size) == var.memory_size
    error_message = "memory_size must be a whole number of MB from 128 to 10240."
  }
}

variable "timeout" {
  description = "Timeout of the function in seconds. A Lake or Athena query alone may take minutes, hence Lambda's maximum."
  type        = number
  default     = 900

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900 && floor(var.timeout) == var.timeout
    error_message = "timeout must be a whole number of seconds from 1 to 900 (Lambda's limit)."
  }
}

variable "reserved_concurrent_executions" {
  description = "Concurrency reserved for the function. Null reserves none: accounts with the default quota of 10 cannot reserve any."
  type        = number
  default     = null

  validation {
    condition     = var.reserved_concurrent_executions == null || try(var.reserved_concurrent_executions >= 1, false)
    error_message = "reserved_concurrent_executions must be null or at least 1 (0 would stop the function from running at all)."
  }
}

variable "async_retry_attempts" {
  description = "How often Lambda retries a scheduled (asynchronous) run that failed, before its event goes to the dead-letter queue. Each retry takes a new as_of, so no report is overwritten."
  type        = number
  default     = 1

  validation {
    condition     = contains([0, 1, 2], var.async_retry_attempts)
    error_message = "async_retry_attempts must be 0, 1 or 2 (Lambda's range)."
  }
}

variable "log_retention_days" {
  description = "Days the function's log group keeps its logs."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of CloudWatch Logs' values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "logs_kms_key_arn" {
  description = "KMS key ARN for the log group. Null keeps CloudWatch Logs' own encryption. The key policy must allow the logs service of this Region."
  type        = string
  default     = null

  validation {
    condition     = var.logs_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.logs_kms_key_arn))
    error_message = "logs_kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), not an alias."
  }
}

variable "rust_log" {
  description = "RUST_LOG of the function (log filter)."
  type        = string
  default     = "info"
}

# --- What the report covers -----------------------------------------------------------------

variable "lookback_days" {
  description = "Default evidence window in days (IDC_LOOKBACK_DAYS); an invocation's payload may ask for another."
  type        = number
  default     = 90

  validation {
    condition     = var.lookback_days >= 1 && var.lookback_days <= 3653 && floor(var.lookback_days) == var.lookback_days
    error_message = "lookback_days must be a whole number of days from 1 to 3653."
  }
}

variable "inactive_days" {
  description = "In the user summary, users not seen for this many days are INACTIVE (IDC_INACTIVE_DAYS; PCI DSS 8.2.6 asks for 90)."
  type        = number
  default     = 90

  validation {
    condition     = var.inactive_days >= 1 && var.inactive_days <= 3653 && floor(var.inactive_days) == var.inactive_days
    error_message = "inactive_days must be a whole number of days from 1 to 3653."
  }
}

variable "exceptions_s3_uri" {
  description = "Accepted exceptions (a CSV, docs/review.md) as s3://BUCKET/KEY (IDC_EXCEPTIONS_S3_URI): rows they match are ACCEPTED and never planned for removal. Null: none. The function may read only this object."
  type        = string
  default     = null

  validation {
    condition     = var.exceptions_s3_uri == null || can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/[^*?]+[^/]$", var.exceptions_s3_uri))
    error_message = "exceptions_s3_uri must be an S3 object, s3://BUCKET/KEY (not a prefix), or null."
  }
}

variable "privileged_permission_sets" {
  description = "Permission set names the HTML view's review queue counts as privileged, * for any text (IDC_PRIVILEGED_PERMISSION_SETS)."
  type        = list(string)
  default     = ["AdministratorAccess", "PowerUserAccess", "IAMFullAccess", "*Admin*"]

  validation {
    condition     = length(var.privileged_permission_sets) > 0 && alltrue([for name in var.privileged_permission_sets : length(trimspace(name)) > 0 && !strcontains(name, ",")])
    error_message = "privileged_permission_sets must name at least one permission set, none empty or with a comma."
  }
}

variable "instance_arn" {
  description = "ARN of the IAM Identity Center instance. Null lets the function find it (sso:ListInstances) and widens the sso and identitystore permissions to any instance of the account."
  type        = string
  default     = null

  validation {
    condition     = var.instance_arn == null || can(regex("^arn:aws[a-z-]*:sso:::instance/(sso)?ins-[A-Za-z0-9-.]{16}$", var.instance_arn))
    error_message = "instance_arn must look like arn:aws:sso:::instance/ssoins-0123456789abcdef."
  }
}

variable "identity_store_id" {
  description = "Identity store of the instance (d-xxxxxxxxxx). Give it together with instance_arn, or neither."
  type        = string
  default     = null

  validation {
    condition     = var.identity_store_id == null || can(regex("^(d-[0-9a-f]{10}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$", var.identity_store_id))
    error_message = "identity_store_id must look like d-0123456789 (or the UUID form)."
  }
}

variable "assignment_strategy" {
  description = "How account assignments are listed: auto, per-permission-set or per-principal (see the project README)."
  type        = string
  default     = "auto"

  validation {
    condition     = contains(["auto", "per-permission-set", "per-principal"], var.assignment_strategy)
    error_message = "assignment_strategy must be auto, per-permission-set or per-principal."
  }
}

# --- Evidence -------------------------------------------------------------------------------

variable "evidence_source" {
  description = "Where CloudTrail evidence is read: cloudtrail-lake, athena, cloudwatch-logs or cloudtrail-lookup. Each needs its own variables below."
  type        = string

  validation {
    condition     = contains(["cloudtrail-lake", "athena", "cloudwatch-logs", "cloudtrail-lookup"], var.evidence_source)
    error_message = "evidence_source must be cloudtrail-lake, athena, cloudwatch-logs or cloudtrail-lookup."
  }
}

variable "event_data_store" {
  description = "cloudtrail-lake: the event data store, as an id or an ARN (an ARN is required for a store in another account)."
  type        = string
  default     = null

  validation {
    condition     = var.event_data_store == null || can(regex("^(arn:aws[a-z-]*:cloudtrail:[a-z0-9-]+:[0-9]{12}:eventdatastore/)?[A-Za-z0-9-]{1,128}$", var.event_data_store))
    error_message = "event_data_store must be an event data store id (letters, digits, '-') or its ARN."
  }
}

variable "lake_owner_account_id" {
  description = "cloudtrail-lake: account that owns the event data store, when it is shared with this account by a resource policy."
  type        = string
  default     = null

  validation {
    condition     = var.lake_owner_account_id == null || can(regex("^[0-9]{12}$", var.lake_owner_account_id))
    error_message = "lake_owner_account_id must be a 12-digit account id."
  }
}

variable "lake_role_arn" {
  description = "cloudtrail-lake: role in the store's account that the function assumes for every Lake call."
  type        = string
  default     = null

  validation {
    condition     = var.lake_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", var.lake_role_arn))
    error_message = "lake_role_arn must be an IAM role ARN."
  }
}

variable "athena_table" {
  description = "athena: the CloudTrail table, as database.table."
  type        = string
  default     = null

  validation {
    condition     = var.athena_table == null || can(regex("^[A-Za-z0-9_-]{1,255}\\.[A-Za-z0-9_-]{1,255}$", var.athena_table))
    error_message = "athena_table must be database.table (letters, digits, '_' or '-')."
  }
}

variable "athena_workgroup" {
  description = "athena: the workgroup queries run in."
  type        = string
  default     = "primary"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]{1,128}$", var.athena_workgroup))
    error_message = "athena_workgroup must be 1 to 128 letters, digits, '.', '_' or '-'."
  }
}

variable "athena_output_location" {
  description = "athena: where Athena writes query results, s3://bucket/prefix/."
  type        = string
  default     = null

  validation {
    condition     = var.athena_output_location == null || can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$", var.athena_output_location))
    error_message = "athena_output_location must be an s3://bucket/prefix/ URI."
  }
}

variable "athena_data_location" {
  description = "athena: the S3 location of the CloudTrail logs behind the table, s3://bucket/prefix/ (read by Athena with the function's credentials)."
  type        = string
  default     = null

  validation {
    condition     = var.athena_data_location == null || can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$", var.athena_data_location))
    error_message = "athena_data_location must be an s3://bucket/prefix/ URI."
  }
}

variable "athena_kms_key_arns" {
  description = "athena: KMS keys of the CloudTrail logs and of the query results, if they are encrypted with customer managed keys."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for k in var.athena_kms_key_arns : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", k))])
    error_message = "athena_kms_key_arns must hold KMS key ARNs (arn:aws:kms:REGION:ACCOUNT:key/ID)."
  }
}

variable "cloudwatch_log_groups" {
  description = "cloudwatch-logs: the log group(s) the organization trail writes to, by name (in cloudwatch_region) or, for another account's groups shared by cross-account observability, by ARN. Control Tower's is aws-controltower/CloudTrailLogs."
  type        = list(string)
  default     = []

  validation {
    condition = length(var.cloudwatch_log_groups) <= 50 && alltrue([
      for g in var.cloudwatch_log_groups : can(regex("^(arn:aws[a-z-]*:logs:[a-z0-9-]+:[0-9]{12}:log-group:)?[A-Za-z0-9._/#-]{1,512}$", g))
    ])
    error_message = "cloudwatch_log_groups must hold at most 50 log group names (letters, digits and . _ / # -) or log group ARNs without a trailing :*."
  }
}

variable "cloudwatch_region" {
  description = "cloudwatch-logs: the Region of the log groups named by name. Null means the function's own Region."
  type        = string
  default     = null

  validation {
    condition     = var.cloudwatch_region == null || can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.cloudwatch_region))
    error_message = "cloudwatch_region must be a Region name such as us-east-1."
  }
}

variable "cloudwatch_role_arn" {
  description = "cloudwatch-logs: role in the log groups' account that the function assumes for every CloudWatch Logs call."
  type        = string
  default     = null

  validation {
    condition     = var.cloudwatch_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", var.cloudwatch_role_arn))
    error_message = "cloudwatch_role_arn must be an IAM role ARN."
  }
}

variable "cloudtrail_lookup_regions" {
  description = "cloudtrail-lookup: Regions whose event history is read. Empty means every Region of the Identity Center instance (sso:ListRegions), or the function's own Region when they cannot be listed."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for r in var.cloudtrail_lookup_regions : can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", r))])
    error_message = "cloudtrail_lookup_regions must hold Region names such as us-east-1."
  }
}

# --- Where reports go -----------------------------------------------------------------------

variable "create_bucket" {
  description = "True creates the report bucket (bucket_name); false writes to an existing bucket, whose policy must then grant what output required_bucket_policy_json says."
  type        = bool
  default     = true
}

variable "bucket_name" {
  description = "Name of the report bucket, created or existing."
  type        = string

  validation {
    condition = alltrue([
      can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name)),
      !can(regex("\\.\\.|\\.-|-\\.", var.bucket_name)),
      !can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$", var.bucket_name)),
      !can(regex("^(xn--|sthree-|amzn-s3-demo-)", var.bucket_name)),
      !can(regex("(-s3alias|--ol-s3|\\.mrap|--x-s3|--table-s3)$", var.bucket_name)),
    ])
    error_message = "bucket_name must follow S3's naming rules: 3 to 63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit, not an IP address, without reserved prefixes or suffixes."
  }
}

variable "bucket_account_id" {
  description = "Account that owns an existing bucket in another account. Used for the expected-owner check in the SSM document's reads and in the outputs; null means this account."
  type        = string
  default     = null

  validation {
    condition     = var.bucket_account_id == null || can(regex("^[0-9]{12}$", var.bucket_account_id))
    error_message = "bucket_account_id must be a 12-digit account id."
  }
}

variable "report_prefix" {
  description = "Key prefix of everything the function writes, without a leading or trailing '/'. Empty writes at the top of the bucket."
  type        = string
  default     = ""

  validation {
    condition     = var.report_prefix == "" || can(regex("^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*$", var.report_prefix))
    error_message = "report_prefix must be empty or path segments of safe characters separated by single '/', with no '/' at either end."
  }
}

variable "kms_key_arn" {
  description = "KMS key for the reports (SSE-KMS, IDC_REPORT_KMS_KEY_ARN) and the created bucket's default encryption. Null uses SSE-S3."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), not an alias: S3 and IAM need the key itself."
  }
}

variable "noncurrent_version_retention_days" {
  description = "Created bucket: days an overwritten object version (each week's replaced latest/ copy) is kept."
  type        = number
  default     = 400

  validation {
    condition     = var.noncurrent_version_retention_days >= 1 && floor(var.noncurrent_version_retention_days) == var.noncurrent_version_retention_days
    error_message = "noncurrent_version_retention_days must be a whole number of at least 1."
  }
}

variable "access_log_bucket" {
  description = "Created bucket: bucket that receives its S3 server access logs. Null writes none."
  type        = string
  default     = null

  validation {
    condition     = var.access_log_bucket == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.access_log_bucket))
    error_message = "access_log_bucket must be a bucket name."
  }
}

# --- The weekly run's engine ----------------------------------------------------------------

variable "orchestration" {
  description = "What runs the weekly report. step-functions: a Step Functions state machine reads the directory over as many invocations of the function as it needs (checkpoints under PREFIX/state/), then makes the report; for organizations whose directory read takes more than about 13 minutes. lambda: the schedule invokes the function once (one run of at most 15 minutes); for small organizations."
  type        = string
  default     = "step-functions"

  validation {
    condition     = contains(["step-functions", "lambda"], var.orchestration)
    error_message = "orchestration must be step-functions or lambda."
  }
}

variable "max_read_iterations" {
  description = "step-functions: most invocations of the function for one directory read. The run fails (ReadDirectoryIterationCapReached) when the read is still incomplete after them."
  type        = number
  default     = 40

  validation {
    # Each iteration adds about 10 events to the execution's history (Standard: 25,000 at most).
    condition     = var.max_read_iterations >= 1 && var.max_read_iterations <= 1000 && floor(var.max_read_iterations) == var.max_read_iterations
    error_message = "max_read_iterations must be a whole number from 1 to 1000."
  }
}

variable "checkpoint_retention_days" {
  description = "Created bucket: days after which a checkpoint under PREFIX/state/ expires. A finished run removes its own; this removes those of runs that failed or were stopped."
  type        = number
  default     = 3

  validation {
    condition     = var.checkpoint_retention_days >= 1 && var.checkpoint_retention_days <= 90 && floor(var.checkpoint_retention_days) == var.checkpoint_retention_days
    error_message = "checkpoint_retention_days must be a whole number of days from 1 to 90."
  }
}

variable "state_machine_tracing" {
  description = "step-functions: true turns on AWS X-Ray tracing of the state machine (and gives its role the X-Ray write actions, which IAM accepts only on \"*\")."
  type        = bool
  default     = false
}

# --- Schedule -------------------------------------------------------------------------------

variable "schedule_enabled" {
  description = "False creates the schedule in the DISABLED state (on-demand runs only)."
  type        = bool
  default     = true
}

variable "schedule_expression" {
  description = "EventBridge Scheduler expression: cron(minutes hours day-of-month month day-of-week year), rate(N unit) or at(yyyy-mm-ddThh:mm:ss). The default runs every Sunday at 20:00."
  type        = string
  default     = "cron(0 20 ? * SUN *)"

  validation {
    # The shape only: six fields, and exactly one of day-of-month and day-of-week is '?'.
    # The fields' values are checked by tests/deploy against an AWS cron parser.
    condition = anytrue([
      can(regex("^rate\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\)$", var.schedule_expression)),
      can(regex("^at\\([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\)$", var.schedule_expression)),
      alltrue([
        can(regex("^cron\\(\\S+ \\S+ \\S+ \\S+ \\S+ \\S+\\)$", var.schedule_expression)),
        try((split(" ", trimsuffix(trimprefix(var.schedule_expression, "cron("), ")"))[2] == "?") != (split(" ", trimsuffix(trimprefix(var.schedule_expression, "cron("), ")"))[4] == "?"), false),
        try(split(" ", trimsuffix(trimprefix(var.schedule_expression, "cron("), ")"))[3] != "?", false),
      ]),
    ])
    error_message = "schedule_expression must be cron(m h dom mon dow year) with '?' in exactly one of day-of-month and day-of-week (and never in month), rate(N minutes|hours|days) or at(yyyy-mm-ddThh:mm:ss)."
  }
}

variable "schedule_timezone" {
  description = "IANA time zone of the schedule expression (e.g. Europe/Paris)."
  type        = string
  default     = "UTC"

  validation {
    condition     = can(regex("^(UTC|[A-Za-z_]+(/[A-Za-z0-9_+-]+){1,2})$", var.schedule_timezone))
    error_message = "schedule_timezone must be UTC or an IANA name such as Europe/Paris."
  }
}

variable "schedule_retry_attempts" {
  description = "How often EventBridge Scheduler retries an invocation Lambda did not accept (throttling, service errors) before sending it to the dead-letter queue."
  type        = number
  default     = 3

  validation {
    condition     = var.schedule_retry_attempts >= 0 && var.schedule_retry_attempts <= 185 && floor(var.schedule_retry_attempts) == var.schedule_retry_attempts
    error_message = "schedule_retry_attempts must be a whole number from 0 to 185."
  }
}

variable "schedule_max_event_age_seconds" {
  description = "How long EventBridge Scheduler keeps retrying one run, in seconds."
  type        = number
  default     = 3600

  validation {
    condition     = var.schedule_max_event_age_seconds >= 60 && var.schedule_max_event_age_seconds <= 86400
    error_message = "schedule_max_event_age_seconds must be from 60 to 86400."
  }
}

# --- Alarms ---------------------------------------------------------------------------------

variable "alarm_sns_topic_arn" {
  description = "SNS topic notified when a run fails or an event lands in the dead-letter queue. Null creates the alarms without actions."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_sns_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.alarm_sns_topic_arn))
    error_message = "alarm_sns_topic_arn must be an SNS topic ARN."
  }
}

# --- On-demand runs (SSM Automation) --------------------------------------------------------

variable "create_ssm_document" {
  description = "True creates the SSM Automation document that runs a report on demand, and the role it assumes."
  type        = bool
  default     = true
}

variable "ssm_document_name" {
  description = "Name of the SSM Automation document."
  type        = string
  default     = "IdcCredentialReport-Export"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{3,128}$", var.ssm_document_name)) && !can(regex("^(?i)(aws|amazon|amzn)", var.ssm_document_name))
    error_message = "ssm_document_name must be 3 to 128 letters, digits, '_', '-' or '.', and must not start with aws, amazon or amzn (reserved by AWS)."
  }
}

# --- Remediation: removing unused access after approval (off by default) ---------------------

variable "create_remediation" {
  description = "True creates the remediation function (same zip, IDC_FUNCTION=remediation), its role and the approval runbook. It needs instance_arn, identity_store_id and remediation_approvers. False creates none of them."
  type        = bool
  default     = false
}

variable "remediation_approvers" {
  description = "Who may approve a remediation run: 1 to 10 IAM user or role ARNs, or assumed-role session ARNs to name one person behind a shared role (aws:approve accepts at most 10). Written into the runbook, so that whoever starts a run cannot choose them."
  type        = list(string)
  default     = []

  validation {
    condition = length(var.remediation_approvers) <= 10 && length(distinct(var.remediation_approvers)) == length(var.remediation_approvers) && alltrue([
      for a in var.remediation_approvers : can(regex("^(arn:aws[a-z-]*:iam::[0-9]{12}:(user|role)/[A-Za-z0-9+=,.@_/-]+|arn:aws[a-z-]*:sts::[0-9]{12}:assumed-role/[A-Za-z0-9+=,.@_-]+/[A-Za-z0-9+=,.@_-]+)$", a))
    ])
    error_message = "remediation_approvers must hold at most 10 distinct IAM user or role ARNs (arn:aws:iam::ACCOUNT:user/NAME, arn:aws:iam::ACCOUNT:role/NAME) or assumed-role session ARNs (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION)."
  }
}

variable "remediation_min_approvals" {
  description = "How many of remediation_approvers must approve a run (aws:approve's MinRequiredApprovals)."
  type        = number
  default     = 1

  validation {
    condition     = var.remediation_min_approvals >= 1 && var.remediation_min_approvals <= 10 && floor(var.remediation_min_approvals) == var.remediation_min_approvals
    error_message = "remediation_min_approvals must be a whole number from 1 to 10."
  }
}

variable "remediation_max_deletions" {
  description = "Most deletions one remediation run may make (IDC_MAX_DELETIONS); a run may ask for fewer, never more."
  type        = number
  default     = 25

  validation {
    condition     = var.remediation_max_deletions >= 1 && var.remediation_max_deletions <= 1000 && floor(var.remediation_max_deletions) == var.remediation_max_deletions
    error_message = "remediation_max_deletions must be a whole number from 1 to 1000."
  }
}

variable "remediation_allow_user_deletion" {
  description = "True lets the remediation also delete identity store users that a plan names (IDC_ALLOW_USER_DELETION, and identitystore:DeleteUser in its role). False removes account assignments only."
  type        = bool
  default     = false
}

variable "remediation_account_ids" {
  description = "Accounts whose assignments the remediation may delete (sso:DeleteAccountAssignment is limited to them). Empty means any account of the instance."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.remediation_account_ids : can(regex("^[0-9]{12}$", a))])
    error_message = "remediation_account_ids must hold 12-digit account ids."
  }
}

variable "remediation_document_name" {
  description = "Name of the SSM Automation runbook that summarizes a remediation plan, waits for approval and applies it."
  type        = string
  default     = "IdcCredentialReport-Remediation"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{3,128}$", var.remediation_document_name)) && !can(regex("^(?i)(aws|amazon|amzn)", var.remediation_document_name))
    error_message = "remediation_document_name must be 3 to 128 letters, digits, '_', '-' or '.', and must not start with aws, amazon or amzn (reserved by AWS)."
  }
}
