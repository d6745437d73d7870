//! The CloudTrail records that concern Identity Center, shaped after the published events in
//! `fixtures/cloudtrail/published` (field names, field order, `eventVersion`, `eventType`).
//!
//! A user is named in one of three generations of `userIdentity` ([`Who`]); which one an
//! event gets is the planner's choice, so every generation shows up inside the window.

use crate::json::{
    push_chars, push_sts_expiry, push_uuid, JsonWriter, BASE64, BASE64_URL, UPPER_ALNUM,
};
use rand::rngs::SmallRng;

/// How `userIdentity` names an Identity Center user.
#[derive(Clone, Copy)]
pub enum Who<'a> {
    /// Since 2025-07-14: `type: IdentityCenterUser`, only `onBehalfOf`; no name, no principalId.
    Center {
        account: &'a str,
        user_id: &'a str,
        store_arn: &'a str,
        credential_id: &'a str,
    },
    /// Mid 2025: `type: Unknown` with `userName` and `onBehalfOf` together.
    Transitional {
        account: &'a str,
        user_id: &'a str,
        store_arn: &'a str,
        credential_id: &'a str,
        user_name: &'a str,
    },
    /// Before: `type: Unknown`, `userName`, and in `principalId` the user id or just the account.
    Legacy {
        account: &'a str,
        principal_id: &'a str,
        user_name: &'a str,
    },
}

impl Who<'_> {
    fn event_version(&self) -> &'static str {
        match self {
            Who::Center { .. } => "1.11",
            Who::Transitional { .. } => "1.09",
            Who::Legacy { .. } => "1.08",
        }
    }

    fn service_event_type(&self) -> &'static str {
        // The published transitional events spell it this way.
        match self {
            Who::Transitional { .. } => "AWSServiceEvent",
            _ => "AwsServiceEvent",
        }
    }

    /// Sign-in events carry empty `arn` and `accessKeyId` in the older formats.
    fn write(&self, w: &mut JsonWriter, sign_in: bool) {
        w.object("userIdentity", |w| match *self {
            Who::Center {
                account,
                user_id,
                store_arn,
                credential_id,
            } => {
                w.string("type", "IdentityCenterUser")
                    .string("accountId", account);
                on_behalf_of(w, user_id, store_arn);
                w.string("credentialId", credential_id);
            }
            Who::Transitional {
                account,
                user_id,
                store_arn,
                credential_id,
                user_name,
            } => {
                w.string("type", "Unknown")
                    .string("principalId", account)
                    .string("arn", "");
                w.string("accountId", account)
                    .string("accessKeyId", "")
                    .string("userName", user_name);
                on_behalf_of(w, user_id, store_arn);
                w.string("credentialId", credential_id);
            }
            Who::Legacy {
                account,
                principal_id,
                user_name,
            } if sign_in => {
                w.string("type", "Unknown")
                    .string("principalId", principal_id)
                    .string("arn", "");
                w.string("accountId", account)
                    .string("accessKeyId", "")
                    .string("userName", user_name);
            }
            Who::Legacy {
                account,
                principal_id,
                user_name,
            } => {
                w.string("type", "Unknown")
                    .string("principalId", principal_id);
                w.string("accountId", account).string("userName", user_name);
            }
        });
    }
}

fn on_behalf_of(w: &mut JsonWriter, user_id: &str, store_arn: &str) {
    w.object("onBehalfOf", |w| {
        w.string("userId", user_id)
            .string("identityStoreArn", store_arn);
    });
}

/// The `credentialId` of portal and CLI events: an opaque id of the portal session's bearer
/// token, the same for every event of the session. (Sign-in events carry a UUID instead.)
pub fn portal_credential_id(rng: &mut SmallRng) -> String {
    let mut out = b"AAAAA".to_vec();
    push_chars(&mut out, rng, BASE64_URL, 81);
    String::from_utf8(out).expect("ASCII")
}

/// Where and from where an event happened.
#[derive(Clone, Copy)]
pub struct Envelope<'a> {
    pub time: i64,
    pub region: &'a str,
    pub ip: &'a str,
    pub user_agent: &'a str,
    /// The account whose trail records the event.
    pub recipient: &'a str,
}

impl Envelope<'_> {
    fn write_head(&self, w: &mut JsonWriter, source: &str, name: &str) {
        w.time("eventTime", self.time)
            .string("eventSource", source)
            .string("eventName", name);
        w.string("awsRegion", self.region)
            .string("sourceIPAddress", self.ip)
            .string("userAgent", self.user_agent);
    }
}

/// `serviceEventDetails` of an `sso.amazonaws.com` event.
#[derive(Clone, Copy)]
pub enum Details<'a> {
    /// No `serviceEventDetails` at all.
    Absent,
    /// `Federate` / `GetRoleCredentials` into an account through a permission set.
    Role {
        role_name: &'a str,
        account_id: &'a str,
    },
    /// `ListAccountRoles`: the account only.
    Account(&'a str),
    /// `Federate` into an application: no account, no role.
    Application { application_arn: &'a str },
}

impl Details<'_> {
    fn write(&self, w: &mut JsonWriter) {
        match *self {
            Details::Absent => {}
            Details::Role {
                role_name,
                account_id,
            } => {
                w.object("serviceEventDetails", |w| {
                    w.string("role_name", role_name)
                        .string("account_id", account_id);
                });
            }
            Details::Account(account_id) => {
                w.object("serviceEventDetails", |w| {
                    w.string("account_id", account_id);
                });
            }
            Details::Application { application_arn } => {
                w.object("serviceEventDetails", |w| {
                    w.string("application_arn", application_arn)
                        .string("session_type", "WEB");
                });
            }
        }
    }
}

/// `errorCode` and `errorMessage` of a call that failed.
pub type Failure<'a> = Option<(&'a str, &'a str)>;

/// A portal event: `Federate`, `GetRoleCredentials`, `ListAccounts`, `ListAccountRoles`.
pub fn portal_call(
    out: &mut Vec<u8>,
    rng: &mut SmallRng,
    env: &Envelope,
    who: &Who,
    name: &str,
    details: Details,
    failure: Failure,
) {
    JsonWriter::new(out).element(|w| {
        w.string("eventVersion", who.event_version());
        who.write(w, false);
        env.write_head(w, "sso.amazonaws.com", name);
        if let Some((code, message)) = failure {
            w.string("errorCode", code).string("errorMessage", message);
        }
        w.null("requestParameters").null("responseElements");
        w.uuid("requestID", rng).uuid("eventID", rng);
        w.boolean("readOnly", name != "Federate")
            .string("eventType", who.service_event_type());
        w.boolean("managementEvent", true)
            .string("recipientAccountId", env.recipient);
        details.write(w);
        w.string("eventCategory", "Management");
    });
}

/// `signin.amazonaws.com` `UserAuthentication`: a sign-in to the access portal.
pub fn user_authentication(
    out: &mut Vec<u8>,
    rng: &mut SmallRng,
    env: &Envelope,
    who: &Who,
    portal_url: &str,
    outcome: &str,
) {
    JsonWriter::new(out).element(|w| {
        w.string("eventVersion", who.event_version());
        who.write(w, true);
        env.write_head(w, "signin.amazonaws.com", "UserAuthentication");
        w.null("requestParameters").null("responseElements");
        w.object("additionalEventData", |w| {
            w.uuid("AuthWorkflowID", rng)
                .string("LoginTo", portal_url)
                .string("CredentialType", "PASSWORD");
        });
        w.uuid("requestID", rng).uuid("eventID", rng);
        w.boolean("readOnly", false)
            .string("eventType", who.service_event_type());
        w.boolean("managementEvent", true)
            .string("recipientAccountId", env.recipient);
        w.object("serviceEventDetails", |w| {
            w.string("UserAuthentication", outcome);
        });
        w.string("eventCategory", "Management");
    });
}

/// `CreateToken`: the CLI's device authorization, recorded by `sso-oauth` (or `sso`).
pub fn create_token(
    out: &mut Vec<u8>,
    rng: &mut SmallRng,
    env: &Envelope,
    who: &Who,
    source: &str,
    store_id: &str,
) {
    const HIDDEN: &str = "HIDDEN_DUE_TO_SECURITY_REASONS";
    JsonWriter::new(out).element(|w| {
        w.string("eventVersion", "1.05");
        who.write(w, false);
        env.write_head(w, source, "CreateToken");
        w.object("requestParameters", |w| {
            w.string_with("clientId", |out| push_chars(out, rng, BASE64_URL, 22));
            w.string("clientSecret", HIDDEN);
            w.string("grantType", "urn:ietf:params:oauth:grant-type:device_code");
            w.string("deviceCode", HIDDEN);
        });
        w.object("responseElements", |w| {
            w.string("accessToken", HIDDEN)
                .string("tokenType", "Bearer")
                .number("expiresIn", 28800);
            w.string("refreshToken", HIDDEN).string("idToken", HIDDEN);
        });
        w.uuid("eventID", rng).boolean("readOnly", false);
        w.array("resources", |w| {
            w.element(|w| {
                w.string("accountId", env.recipient)
                    .string("type", "IdentityStoreId")
                    .string("ARN", store_id);
            });
        });
        w.string("eventType", "AwsApiCall")
            .string("recipientAccountId", env.recipient);
    });
}

/// `ListApplications`, in the older `AwsApiCall` shape of the user guide.
pub fn list_applications(out: &mut Vec<u8>, rng: &mut SmallRng, env: &Envelope, who: &Who) {
    JsonWriter::new(out).element(|w| {
        w.string("eventVersion", "1.05");
        who.write(w, false);
        env.write_head(w, "sso.amazonaws.com", "ListApplications");
        w.null("requestParameters").null("responseElements");
        w.uuid("requestID", rng).uuid("eventID", rng);
        w.string("eventType", "AwsApiCall")
            .string("recipientAccountId", env.recipient);
    });
}

/// The 2017 format, whose `eventName` was the portal URL that was called.
pub fn portal_url_2017(
    out: &mut Vec<u8>,
    rng: &mut SmallRng,
    env: &Envelope,
    who: &Who,
    url: &str,
) {
    JsonWriter::new(out).element(|w| {
        w.string("eventVersion", "1.05");
        who.write(w, false);
        env.write_head(w, "sso.amazonaws.com", url);
        w.null("requestParameters").null("responseElements");
        w.uuid("requestID", rng).uuid("eventID", rng);
        w.string("eventType", "AwsApiCall")
            .string("recipientAccountId", env.recipient);
    });
}

/// A session of an `AWSReservedSSO_` role in a member account.
#[derive(Clone, Copy)]
pub struct RoleSession<'a> {
    pub account: &'a str,
    pub role_name: &'a str,
    pub role_id: &'a str,
    pub session_name: &'a str,
    pub home_region: &'a str,
    pub started: i64,
}

impl RoleSession<'_> {
    fn role_arn(&self) -> String {
        // Roles of an instance in us-east-1 have no region in their path.
        let region = match self.home_region {
            "us-east-1" => String::new(),
            r => format!("{r}/"),
        };
        format!(
            "arn:aws:iam::{}:role/aws-reserved/sso.amazonaws.com/{region}{}",
            self.account, self.role_name
        )
    }

    fn session_arn(&self) -> String {
        format!(
            "arn:aws:sts::{}:assumed-role/{}/{}",
            self.account, self.role_name, self.session_name
        )
    }

    pub(crate) fn write_identity(
        &self,
        w: &mut JsonWriter,
        rng: &mut SmallRng,
        key_id: bool,
        on_behalf_of: Option<(&str, &str)>,
    ) {
        let (session_arn, role_arn) = (self.session_arn(), self.role_arn());
        w.object("userIdentity", |w| {
            w.string("type", "AssumedRole");
            w.string_with("principalId", |out| {
                out.extend_from_slice(self.role_id.as_bytes());
                out.push(b':');
                out.extend_from_slice(self.session_name.as_bytes());
            });
            w.string("arn", &session_arn)
                .string("accountId", self.account);
            if key_id {
                w.string_with("accessKeyId", |out| {
                    out.extend_from_slice(b"ASIA");
                    push_chars(out, rng, UPPER_ALNUM, 16);
                });
            }
            w.object("sessionContext", |w| {
                w.object("sessionIssuer", |w| {
                    w.string("type", "Role")
                        .string("principalId", self.role_id)
                        .string("arn", &role_arn);
                    w.string("accountId", self.account)
                        .string("userName", self.role_name);
                });
                if !key_id {
                    w.object("webIdFederationData", |_| {});
                }
                w.object("attributes", |w| {
                    w.time("creationDate", self.started)
                        .string("mfaAuthenticated", "false");
                });
            });
            if let Some((user_id, store_arn)) = on_behalf_of {
                self::on_behalf_of(w, user_id, store_arn);
            }
        });
    }
}

fn tls(w: &mut JsonWriter, version: &str, host: &str) {
    w.object("tlsDetails", |w| {
        let cipher = match version {
            "TLSv1.3" => "TLS_AES_128_GCM_SHA256",
            _ => "ECDHE-RSA-AES128-GCM-SHA256",
        };
        w.string("tlsVersion", version)
            .string("cipherSuite", cipher)
            .string("clientProvidedHostHeader", host);
    });
}

/// `ConsoleLogin` in the member account, right after a `Federate`.
pub fn console_login(out: &mut Vec<u8>, rng: &mut SmallRng, env: &Envelope, role: &RoleSession) {
    JsonWriter::new(out).element(|w| {
        w.string("eventVersion", "1.08");
        role.write_identity(w, rng, false, None);
        env.write_head(w, "signin.amazonaws.com", "ConsoleLogin");
        w.null("requestParameters");
        w.object("responseElements", |w| {
            w.string("ConsoleLogin", "Success");
        });
        w.object("additionalEventData", |w| {
            w.string("MobileVersion", "No").string("MFAUsed", "No");
        });
        w.uuid("eventID", rng)
            .boolean("readOnly", false)
            .string("eventType", "AwsConsoleSignIn");
        w.boolean("managementEvent", true)
            .string("recipientAccountId", env.recipient);
        w.string("eventCategory", "Management");
        tls(
            w,
            "TLSv1.2",
            &format!("{}.signin.aws.amazon.com", env.region),
        );
    });
}

/// `AssumeRoleWithSAML` in the member account, right after a `GetRoleCredentials`.
pub fn assume_role_with_saml(
    out: &mut Vec<u8>,
    rng: &mut SmallRng,
    env: &Envelope,
    role: &RoleSession,
    saml_provider: &str,
) {
    let provider_arn = format!(
        "arn:aws:iam::{}:saml-provider/{saml_provider}",
        role.account
    );
    let name_qualifier: String = {
        let mut q = Vec::new();
        push_chars(&mut q, rng, BASE64, 27);
        q.push(b'=');
        String::from_utf8(q).expect("ASCII")
    };
    let subject = format!("{name_qualifier}:{}", role.session_name);
    JsonWriter::new(out).element(|w| {
        w.string("eventVersion", "1.11");
        w.object("userIdentity", |w| {
            w.string("type", "SAMLUser")
                .string("principalId", &subject)
                .string("userName", role.session_name);
            w.string("identityProvider", &name_qualifier);
        });
        env.write_head(w, "sts.amazonaws.com", "AssumeRoleWithSAML");
        w.object("requestParameters", |w| {
            w.string_with("sAMLAssertionID", |out| {
                out.push(b'_');
                push_uuid(out, rng);
            });
            w.string("roleSessionName", role.session_name)
                .string("roleArn", &role.role_arn());
            w.string("principalArn", &provider_arn)
                .number("durationSeconds", 43200);
        });
        w.object("responseElements", |w| {
            w.object("credentials", |w| {
                w.string_with("accessKeyId", |out| {
                    out.extend_from_slice(b"ASIA");
                    push_chars(out, rng, UPPER_ALNUM, 16);
                });
                w.string("sessionToken", "IQoJb[REDACTED FOR BREVITY]fIU=");
                w.string_with("expiration", |out| push_sts_expiry(out, env.time + 43200));
            });
            w.object("assumedRoleUser", |w| {
                w.string_with("assumedRoleId", |out| {
                    out.extend_from_slice(role.role_id.as_bytes());
                    out.push(b':');
                    out.extend_from_slice(role.session_name.as_bytes());
                });
                w.string("arn", &role.session_arn());
            });
            w.string("subject", role.session_name)
                .string("subjectType", "persistent");
            w.string(
                "issuer",
                &format!(
                    "https://portal.sso.{}.amazonaws.com/saml/assertion/",
                    role.home_region
                ),
            );
            w.string("audience", "https://signin.aws.amazon.com/saml")
                .string("nameQualifier", &name_qualifier);
        });
        w.uuid("requestID", rng)
            .uuid("eventID", rng)
            .boolean("readOnly", true);
        w.array("resources", |w| {
            w.element(|w| {
                w.string("accountId", role.account)
                    .string("type", "AWS::IAM::Role")
                    .string("ARN", &role.role_arn());
            });
            w.element(|w| {
                w.string("accountId", role.account)
                    .string("type", "AWS::IAM::SAMLProvider");
                w.string("ARN", &provider_arn);
            });
        });
        w.string("eventType", "AwsApiCall")
            .boolean("managementEvent", true);
        w.string("recipientAccountId", env.recipient)
            .string("eventCategory", "Management");
        tls(w, "TLSv1.3", &format!("sts.{}.amazonaws.com", env.region));
    });
}

/// `GetCallerIdentity` under the reserved role, which carries `onBehalfOf`: a member-account
/// API call, not a use recorded by Identity Center.
pub fn get_caller_identity(
    out: &mut Vec<u8>,
    rng: &mut SmallRng,
    env: &Envelope,
    role: &RoleSession,
    on_behalf_of: (&str, &str),
) {
    JsonWriter::new(out).element(|w| {
        w.string("eventVersion", "1.11");
        role.write_identity(w, rng, true, Some(on_behalf_of));
        env.write_head(w, "sts.amazonaws.com", "GetCallerIdentity");
        w.null("requestParameters").null("responseElements");
        w.object("additionalEventData", |w| {
            w.object("RequestDetails", |w| {
                w.string("awsServingRegion", env.region)
                    .string("endpointType", "regional");
            });
        });
        w.uuid("requestID", rng)
            .uuid("eventID", rng)
            .boolean("readOnly", true);
        w.string("eventType", "AwsApiCall")
            .boolean("managementEvent", true);
        w.string("recipientAccountId", env.recipient)
            .string("eventCategory", "Management");
        tls(w, "TLSv1.3", &format!("sts.{}.amazonaws.com", env.region));
    });
}
