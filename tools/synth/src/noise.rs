//! Background traffic: the events that make up almost all of a real trail, none of which is
//! evidence, and all of which the report has to read past quickly.
//!
//! Five common calls (EC2 `DescribeInstances`, S3 `GetObject` data events, STS `AssumeRole`,
//! IAM `ListRoles`, KMS `Decrypt`), 1 to 1.5 KB each as in real trails, by a fixed cast of
//! roles per account. Some of those roles are `AWSReservedSSO_` roles used by directory users:
//! activity in a member account is not a use recorded by Identity Center.

use crate::json::{
    chars, ip, pick, pick_ref, push_chars, push_sts_expiry, push_uuid, uuid, JsonWriter, ALNUM,
    BASE64, LOWER_ALNUM, UPPER_ALNUM,
};
use crate::org::Org;
use rand::rngs::SmallRng;
use rand::Rng;

const SDK_AGENTS: [&str; 5] = [
    "aws-sdk-java/2.29.6 Linux/5.10.227-219.884.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.13+11-LTS Java/17.0.13 vendor/Amazon.com_Inc. md/internal io/sync http/Apache cfg/retry-mode/legacy",
    "Boto3/1.35.66 md/Botocore#1.35.66 ua/2.0 os/linux#6.1.112-124.190.amzn2023.x86_64 md/arch#x86_64 lang/python#3.12.7 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.66",
    "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.76.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.4 ua/2.1 os/linux lang/go#1.23.2 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.187.1",
    "aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0-1016-aws md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#ec2.describe-instances",
    "aws-sdk-go-v2/1.36.3 ua/2.1 os/linux lang/go#1.26.4 md/GOOS#linux md/GOARCH#arm64 api/s3#1.79.1 m/E,g",
];
/// Services that call STS for the roles they run as.
const ROLE_SERVICES: [&str; 3] = [
    "lambda.amazonaws.com",
    "ecs-tasks.amazonaws.com",
    "glue.amazonaws.com",
];
const ROLE_NAMES: [&str; 8] = [
    "OrganizationAccountAccessRole",
    "ci-deploy",
    "app-backend-task",
    "data-pipeline",
    "eks-node-group",
    "lambda-orders-processor",
    "cloud-custodian",
    "backup-operator",
];
const OBJECT_PREFIXES: [&str; 5] = [
    "exports/daily/",
    "uploads/",
    "artifacts/build-",
    "reports/2026/",
    "raw/events/",
];

/// A principal that makes API calls in an account.
struct Actor {
    role_name: String,
    role_id: String,
    session: String,
    /// The session's temporary access key (`ASIA...`).
    access_key: String,
    user_agent: &'static str,
    ip: String,
}

struct AccountNoise {
    id: String,
    actors: Vec<Actor>,
    buckets: Vec<String>,
    keys: Vec<String>,
}

/// Everything noise events are made of, drawn once from the seed.
pub struct NoiseWorld {
    accounts: Vec<AccountNoise>,
}

impl NoiseWorld {
    pub fn new(org: &Org, rng: &mut SmallRng) -> Self {
        let accounts = (0..org.snapshot.accounts.len())
            .map(|a| account_noise(org, a, rng))
            .collect();
        NoiseWorld { accounts }
    }

    /// Appends one random noise event of `account` in `region` at `time`.
    pub fn write_event(
        &self,
        out: &mut Vec<u8>,
        rng: &mut SmallRng,
        account: usize,
        region: &str,
        time: i64,
    ) {
        let acct = &self.accounts[account];
        let actor = pick_ref(rng, &acct.actors);
        let mut call = Call {
            acct,
            actor,
            service: None,
            region,
            time,
        };
        // Many role assumptions and most decryptions are made by AWS services themselves.
        match rng.gen_range(0..100) {
            0..=21 => call.describe_instances(out, rng),
            22..=46 => call.get_object(out, rng),
            47..=61 => {
                call.service = rng.gen_bool(0.5).then(|| pick(rng, &ROLE_SERVICES));
                call.assume_role(out, rng);
            }
            62..=69 if region == "us-east-1" => call.list_roles(out, rng),
            _ => {
                call.service = rng.gen_bool(0.7).then_some("s3.amazonaws.com");
                call.decrypt(out, rng);
            }
        }
    }
}

fn account_noise(org: &Org, account: usize, rng: &mut SmallRng) -> AccountNoise {
    let id = org.account_id(account).to_owned();
    let mut actors = Vec::new();
    for role in ROLE_NAMES {
        if rng.gen_bool(0.4) {
            continue;
        }
        actors.push(Actor {
            role_name: role.to_owned(),
            role_id: format!("AROA{}", chars(rng, UPPER_ALNUM, 17)),
            session: match rng.gen_bool(0.5) {
                true => format!("i-0{}", chars(rng, b"0123456789abcdef", 16)),
                false => format!(
                    "botocore-session-{}",
                    rng.gen_range(1_700_000_000..1_800_000_000u64)
                ),
            },
            access_key: format!("ASIA{}", chars(rng, UPPER_ALNUM, 16)),
            user_agent: pick(rng, &SDK_AGENTS),
            ip: ip(rng),
        });
    }
    // People working in the account through their permission sets.
    for _ in 0..3 {
        let ps = rng.gen_range(0..org.snapshot.permission_sets.len());
        let role = &org.sso_roles[account][ps];
        actors.push(Actor {
            role_name: role.name.clone(),
            role_id: role.role_id.clone(),
            session: pick_ref(rng, &org.snapshot.users).user_name.clone(),
            access_key: format!("ASIA{}", chars(rng, UPPER_ALNUM, 16)),
            user_agent: pick(rng, &SDK_AGENTS),
            ip: ip(rng),
        });
    }
    let buckets = (0..3)
        .map(|_| format!("{}-{}-{}", chars(rng, LOWER_ALNUM, 6), "data", &id))
        .collect();
    let keys = (0..2).map(|_| uuid(rng)).collect();
    AccountNoise {
        id,
        actors,
        buckets,
        keys,
    }
}

/// One call by one actor (or by an AWS service), with what every event of it shares.
struct Call<'a> {
    acct: &'a AccountNoise,
    actor: &'a Actor,
    /// `invokedBy`: the call was made by this AWS service, not by the actor.
    service: Option<&'static str>,
    region: &'a str,
    time: i64,
}

impl Call<'_> {
    fn role_arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:role/{}",
            self.acct.id, self.actor.role_name
        )
    }

    fn user_identity(&self, w: &mut JsonWriter, rng: &mut SmallRng) {
        if let Some(service) = self.service {
            w.object("userIdentity", |w| {
                w.string("type", "AWSService").string("invokedBy", service);
            });
            return;
        }
        let (actor, account) = (self.actor, self.acct.id.as_str());
        w.object("userIdentity", |w| {
            w.string("type", "AssumedRole");
            w.string_with("principalId", |out| {
                out.extend_from_slice(actor.role_id.as_bytes());
                out.push(b':');
                out.extend_from_slice(actor.session.as_bytes());
            });
            w.string(
                "arn",
                &format!(
                    "arn:aws:sts::{account}:assumed-role/{}/{}",
                    actor.role_name, actor.session
                ),
            );
            w.string("accountId", account)
                .string("accessKeyId", &actor.access_key);
            w.object("sessionContext", |w| {
                w.object("sessionIssuer", |w| {
                    w.string("type", "Role")
                        .string("principalId", &actor.role_id)
                        .string("arn", &self.role_arn());
                    w.string("accountId", account)
                        .string("userName", &actor.role_name);
                });
                w.object("webIdFederationData", |_| {});
                w.object("attributes", |w| {
                    w.time("creationDate", self.time - rng.gen_range(0..3600));
                    w.string("mfaAuthenticated", "false");
                });
            });
        });
    }

    fn head(
        &self,
        w: &mut JsonWriter,
        rng: &mut SmallRng,
        version: &str,
        source: &str,
        name: &str,
    ) {
        w.string("eventVersion", version);
        self.user_identity(w, rng);
        w.time("eventTime", self.time)
            .string("eventSource", source)
            .string("eventName", name);
        w.string("awsRegion", self.region);
        match self.service {
            Some(service) => w
                .string("sourceIPAddress", service)
                .string("userAgent", service),
            None => w
                .string("sourceIPAddress", &self.actor.ip)
                .string("userAgent", self.actor.user_agent),
        };
    }

    fn tail(&self, w: &mut JsonWriter, rng: &mut SmallRng, management: bool, host: &str) {
        w.string("eventType", "AwsApiCall")
            .boolean("managementEvent", management);
        w.string("recipientAccountId", &self.acct.id);
        if self.service.is_some() {
            // Calls by services are also recorded on the service's side, under a shared id.
            w.uuid("sharedEventID", rng);
        }
        w.string(
            "eventCategory",
            if management { "Management" } else { "Data" },
        );
        if self.service.is_none() {
            w.object("tlsDetails", |w| {
                w.string("tlsVersion", "TLSv1.3")
                    .string("cipherSuite", "TLS_AES_128_GCM_SHA256");
                w.string("clientProvidedHostHeader", host);
            });
        }
    }

    fn describe_instances(&self, out: &mut Vec<u8>, rng: &mut SmallRng) {
        JsonWriter::new(out).element(|w| {
            self.head(w, rng, "1.10", "ec2.amazonaws.com", "DescribeInstances");
            w.object("requestParameters", |w| {
                w.object("instancesSet", |w| {
                    w.array("items", |w| {
                        w.element(|w| {
                            w.string_with("instanceId", |out| {
                                out.extend_from_slice(b"i-0");
                                push_chars(out, rng, b"0123456789abcdef", 16);
                            });
                        });
                    });
                });
                w.object("filterSet", |_| {});
                w.boolean("includeAllInstances", false);
            });
            w.null("responseElements");
            w.uuid("requestID", rng)
                .uuid("eventID", rng)
                .boolean("readOnly", true);
            self.tail(w, rng, true, &format!("ec2.{}.amazonaws.com", self.region));
        });
    }

    fn get_object(&self, out: &mut Vec<u8>, rng: &mut SmallRng) {
        let bucket = pick_ref(rng, &self.acct.buckets);
        let mut key = pick(rng, &OBJECT_PREFIXES).as_bytes().to_vec();
        push_chars(&mut key, rng, LOWER_ALNUM, 12);
        key.extend_from_slice(b".json.gz");
        let key = String::from_utf8(key).expect("ASCII");
        let host = format!("{bucket}.s3.{}.amazonaws.com", self.region);
        JsonWriter::new(out).element(|w| {
            self.head(w, rng, "1.10", "s3.amazonaws.com", "GetObject");
            w.object("requestParameters", |w| {
                w.string("bucketName", bucket)
                    .string("Host", &host)
                    .string("key", &key);
            });
            w.null("responseElements");
            w.object("additionalEventData", |w| {
                w.string("SignatureVersion", "SigV4")
                    .string("CipherSuite", "TLS_AES_128_GCM_SHA256");
                w.number("bytesTransferredIn", 0)
                    .string("AuthenticationMethod", "AuthHeader");
                w.string_with("x-amz-id-2", |out| push_chars(out, rng, BASE64, 76));
                w.number("bytesTransferredOut", rng.gen_range(200..5_000_000));
            });
            w.string_with("requestID", |out| push_chars(out, rng, UPPER_ALNUM, 16));
            w.uuid("eventID", rng).boolean("readOnly", true);
            w.array("resources", |w| {
                w.element(|w| {
                    w.string("type", "AWS::S3::Object")
                        .string("ARN", &format!("arn:aws:s3:::{bucket}/{key}"));
                });
                w.element(|w| {
                    w.string("accountId", &self.acct.id)
                        .string("type", "AWS::S3::Bucket");
                    w.string("ARN", &format!("arn:aws:s3:::{bucket}"));
                });
            });
            self.tail(w, rng, false, &host);
        });
    }

    fn assume_role(&self, out: &mut Vec<u8>, rng: &mut SmallRng) {
        let target = pick(rng, &ROLE_NAMES);
        let role_arn = format!("arn:aws:iam::{}:role/{target}", self.acct.id);
        let session = match self.service {
            Some(service) => format!(
                "{}-{}",
                service.split('.').next().unwrap_or("svc"),
                chars(rng, ALNUM, 10)
            ),
            None => format!(
                "{}-{}",
                self.actor.role_name,
                rng.gen_range(1_000_000..9_999_999)
            ),
        };
        let role_id = format!("AROA{}", chars(rng, UPPER_ALNUM, 17));
        JsonWriter::new(out).element(|w| {
            self.head(w, rng, "1.08", "sts.amazonaws.com", "AssumeRole");
            w.object("requestParameters", |w| {
                w.string("roleArn", &role_arn)
                    .string("roleSessionName", &session)
                    .number("durationSeconds", 3600);
            });
            w.object("responseElements", |w| {
                w.object("credentials", |w| {
                    w.string_with("accessKeyId", |out| {
                        out.extend_from_slice(b"ASIA");
                        push_chars(out, rng, UPPER_ALNUM, 16);
                    });
                    w.string_with("sessionToken", |out| {
                        out.extend_from_slice(b"IQoJb3JpZ2luX2Vj");
                        push_chars(out, rng, BASE64, 96);
                    });
                    w.string_with("expiration", |out| push_sts_expiry(out, self.time + 3600));
                });
                w.object("assumedRoleUser", |w| {
                    w.string("assumedRoleId", &format!("{role_id}:{session}"));
                    w.string(
                        "arn",
                        &format!(
                            "arn:aws:sts::{}:assumed-role/{target}/{session}",
                            self.acct.id
                        ),
                    );
                });
            });
            w.uuid("requestID", rng)
                .uuid("eventID", rng)
                .boolean("readOnly", true);
            w.array("resources", |w| {
                w.element(|w| {
                    w.string("accountId", &self.acct.id)
                        .string("type", "AWS::IAM::Role")
                        .string("ARN", &role_arn);
                });
            });
            self.tail(w, rng, true, &format!("sts.{}.amazonaws.com", self.region));
        });
    }

    fn list_roles(&self, out: &mut Vec<u8>, rng: &mut SmallRng) {
        JsonWriter::new(out).element(|w| {
            self.head(w, rng, "1.08", "iam.amazonaws.com", "ListRoles");
            w.object("requestParameters", |w| {
                w.number("maxItems", 100);
                w.string_with("marker", |out| push_chars(out, rng, BASE64, 64));
            });
            w.null("responseElements");
            w.uuid("requestID", rng)
                .uuid("eventID", rng)
                .boolean("readOnly", true);
            self.tail(w, rng, true, "iam.amazonaws.com");
        });
    }

    fn decrypt(&self, out: &mut Vec<u8>, rng: &mut SmallRng) {
        let key_arn = format!(
            "arn:aws:kms:{}:{}:key/{}",
            self.region,
            self.acct.id,
            pick_ref(rng, &self.acct.keys)
        );
        let bucket = pick_ref(rng, &self.acct.buckets);
        JsonWriter::new(out).element(|w| {
            self.head(w, rng, "1.10", "kms.amazonaws.com", "Decrypt");
            w.object("requestParameters", |w| {
                w.object("encryptionContext", |w| {
                    w.string_with("aws:s3:arn", |out| {
                        out.extend_from_slice(b"arn:aws:s3:::");
                        out.extend_from_slice(bucket.as_bytes());
                        out.extend_from_slice(b"/uploads/");
                        push_uuid(out, rng);
                    });
                });
                w.string("encryptionAlgorithm", "SYMMETRIC_DEFAULT");
            });
            w.null("responseElements");
            w.uuid("requestID", rng)
                .uuid("eventID", rng)
                .boolean("readOnly", true);
            w.array("resources", |w| {
                w.element(|w| {
                    w.string("accountId", &self.acct.id)
                        .string("type", "AWS::KMS::Key")
                        .string("ARN", &key_arn);
                });
            });
            self.tail(w, rng, true, &format!("kms.{}.amazonaws.com", self.region));
        });
    }
}
