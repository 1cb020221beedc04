import Eligibility
import Foundation

/// Every setting the app reads, typed and loaded once at start-up (P12).
///
/// Values come from `settings/<env>.toml`, then the ignored `settings/secrets.<env>.toml`,
/// then environment variables, later sources winning. Secrets may only come from the last two.
public struct Settings: Sendable {
    public var environment: AppEnvironment
    public var version: String
    public var publicBaseURL: String
    public var logLevel: String
    /// `json` (one object per line, for a log shipper) or `text`; `json` outside `local`.
    public var logFormat: LogFormat
    /// Who may read `/metrics`.
    public var metrics: MetricsSettings
    public var showErrorDetails: Bool
    public var database: DatabaseSettings
    public var security: SecuritySettings
    public var session: SessionSettings
    public var uploads: UploadSettings
    /// Where uploaded documents are kept: a folder, or an S3-compatible bucket.
    public var documents: DocumentStorageSettings
    /// The partner API's keys and token rules (P14); off when no key is set.
    public var api: APISettings
    public var analytics: AnalyticsSettings
    public var limits: LimitSettings
    public var address: AddressSettings
    public var notifications: NotificationSettings
    /// How the city is reached (the original's `contact_email` / `contact_number`): the footer,
    /// every "contact us" and every message show these.
    public var contact: CityContact
    /// Pause between two runs of `getyour jobs` in its loop.
    public var jobsInterval: TimeInterval
    /// When renewal opens, the reminders, and the grace period after expiry (P11).
    public var renewal: RenewalSchedule
    /// Months after which documents of denied or withdrawn applications, and of applications
    /// a verified renewal replaced, are removed from the store (P10; `DocumentRetention`).
    public var documentRetentionMonths: Int
    /// Networks of the reverse proxies in front of the app; their `X-Forwarded-For` entries
    /// are believed, nobody else's (see `ClientAddress`). Empty: the socket peer is the client.
    public var trustedProxies: [IPNetwork]
    /// Every connection comes through one reverse proxy of ours (`app.behind_proxy`): the
    /// socket peer is that proxy and the client is the `X-Forwarded-For` entry it appended
    /// (the right-most one not in `trustedProxies`), never an entry the client wrote.
    public var behindProxy: Bool
    /// Most people one application may list (P3 step 6).
    public var maxHouseholdMembers: Int
    public var paths: Paths

    /// Where the app finds its files (templates, public, settings) and keeps local data.
    public struct Paths: Sendable {
        public var root: URL
        public var dataDirectory: URL
        public var templates: URL { root.appendingPathComponent("Templates", isDirectory: true) }
        public var publicFiles: URL { root.appendingPathComponent("Public", isDirectory: true) }
        public var settings: URL { root.appendingPathComponent("settings", isDirectory: true) }
        public var mailDirectory: URL { dataDirectory.appendingPathComponent("mail", isDirectory: true) }
        public var smsDirectory: URL { dataDirectory.appendingPathComponent("sms", isDirectory: true) }
        public var documentsDirectory: URL { dataDirectory.appendingPathComponent("documents", isDirectory: true) }
    }
}

/// The four deployments (P12). Chosen by `GETYOUR_ENV`, `local` when unset.
public enum AppEnvironment: String, Sendable, CaseIterable {
    case local, dev, stage, production

    /// The banner every page shows outside production, or nil.
    public var bannerKey: String? {
        switch self {
        case .local, .dev: "banner.testing"
        case .stage: "banner.staging"
        case .production: nil
        }
    }
}

public enum LogFormat: String, Sendable, CaseIterable {
    case json, text
}

/// `/metrics` answers a request from one of `allowedNetworks` (the client address as
/// `ClientAddress` resolves it), or one that sends `Authorization: Bearer <token>`; nobody
/// else, and nobody at all when neither is set.
public struct MetricsSettings: Sendable {
    public var token: String?
    public var allowedNetworks: [IPNetwork]
}

public struct DatabaseSettings: Sendable {
    public var primary: DatabaseLocation
    public var analytics: DatabaseLocation
    public var maxConnectionsPerEventLoop: Int
    /// How long a request waits for a free PostgreSQL connection before it gets a 503.
    public var poolTimeout: Int
    /// Where `getyour migrate` connects instead, as the privileged role that owns the tables
    /// (`ref/sql/roles.sql`); nil: the app's own URL.
    public var primaryMigration: DatabaseLocation? = nil
    public var analyticsMigration: DatabaseLocation? = nil
    /// The base role the app runs as: after migrating, `getyour migrate` grants it SELECT,
    /// INSERT, UPDATE, DELETE on every table, and only INSERT, SELECT on `audit_events`.
    public var appRole: String? = nil
    /// The read-only role for reports on the analytics database: granted SELECT after migrating.
    public var analyticsReaderRole: String? = nil
}

/// A database is either an SQLite file (the embedded default in `local`) or a PostgreSQL URL.
public enum DatabaseLocation: Sendable, Equatable {
    case sqliteFile(String)
    case postgres(url: String, searchPath: [String]? = nil)

    public var engine: String {
        switch self {
        case .sqliteFile: "sqlite"
        case .postgres: "postgres"
        }
    }
}

public struct SecuritySettings: Sendable {
    /// Keys HMACs (analytics pseudonyms, reset tokens). Never logged.
    public var secretKey: String
    public var secureCookies: Bool
    public var hsts: Bool
    public var bcryptCost: Int
}

public struct SessionSettings: Sendable {
    /// Staff sessions (any role but `resident`) end sooner when idle.
    public func idleTimeout(role: String?) -> TimeInterval {
        role.map { $0 != "resident" } == true ? staffIdleTimeout : idleTimeout
    }

    public var idleTimeout: TimeInterval
    /// Staff see household PII: their sessions end sooner when idle (P10).
    public var staffIdleTimeout: TimeInterval
    public var absoluteTimeout: TimeInterval
}

public struct UploadSettings: Sendable {
    public var maxFileBytes: Int
    public var maxFilesPerItem: Int
    /// All documents of one application together, so one account cannot fill the disk.
    public var maxBytesPerApplication: Int
}

/// The document store `configure` builds (`DocumentStore`).
public struct DocumentStorageSettings: Sendable {
    public enum Backend: String, Sendable, CaseIterable {
        /// `<data dir>/documents/`: one server, or a folder every server mounts.
        case filesystem
        /// Any S3-compatible service (`S3DocumentStore`).
        case s3
    }
    public var backend: Backend
    public var s3: S3Settings
}

public struct S3Settings: Sendable {
    /// `path`: `https://host/bucket/key` (most S3-compatible services); `virtual`:
    /// `https://bucket.host/key` (AWS's own endpoints).
    public enum Addressing: String, Sendable, CaseIterable { case path, virtual }
    /// The server-side encryption header sent with every upload.
    public enum Encryption: String, Sendable, CaseIterable {
        case none
        /// `x-amz-server-side-encryption: AES256` (keys managed by the service).
        case aes256
        /// `aws:kms`, with `kmsKeyID` when set.
        case kms
    }
    public var endpoint: URL
    public var bucket: String
    public var region: String
    public var addressing: Addressing
    /// Put before every storage key (`documents/`), so one bucket can hold other things.
    public var keyPrefix: String
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?
    public var encryption: Encryption
    public var kmsKeyID: String?
    /// Files larger than this go up as a multipart upload in parts of this size.
    public var partSize: Int
    /// Longest wait for one request's answer (for an upload, after its last byte).
    public var timeout: TimeInterval
}

/// Who may call `/api/v1` (P14): tokens without a `kid` are checked with the HS256 secret,
/// tokens with one with the ES256 or RS256 public key of that id.
public struct APISettings: Sendable {
    public struct PublicKey: Sendable {
        public enum Algorithm: String, Sendable { case es256 = "ES256", rs256 = "RS256" }
        public var kid: String
        public var algorithm: Algorithm
        public var pem: String
    }
    public var hs256Secret: String?
    public var publicKeys: [PublicKey]
    /// Checked when set: the token's `iss` must equal it, and its `aud` must contain it.
    public var issuer: String?
    public var audience: String?
    /// The longest a token may live (from `iat`, or from now without one).
    public var maxTokenLifetime: TimeInterval
    /// Calls one caller (`sub`) may make in a minute, on all servers together.
    public var requestsPerMinute: Int
    public var enabled: Bool { hs256Secret != nil || !publicKeys.isEmpty }
}

public struct AnalyticsSettings: Sendable {
    public var batchSize: Int
    public var flushInterval: TimeInterval
    public var bufferLimit: Int
}

/// A count allowed per time window.
public struct RateLimit: Sendable, Equatable {
    public var count: Int
    public var window: TimeInterval
}

/// Every rate limit (P10); each count and window is a setting an environment variable can
/// override, so load tests and UAT can raise them.
public struct LimitSettings: Sendable {
    /// Failed sign-ins per account and per client address before sign-in pauses.
    public var loginFailures: RateLimit
    /// How long a sign-in from an address past its failure limit is held before the password
    /// is checked: the address is slowed down, the account it names is never refused for it.
    public var loginAddressDelay: TimeInterval
    /// Reset links sent to one account per window (on top of the per-address limit).
    public var passwordResetsPerAccount: RateLimit
    public var signups: RateLimit
    public var passwordResets: RateLimit
    public var addressChecks: RateLimit
}

/// Which address verifier to use (P5) and where the outside services are.
public struct AddressSettings: Sendable {
    public enum Verifier: String, Sendable { case local, usps }
    public var verifier: Verifier
    public var uspsURL: String
    public var uspsClientID: String
    public var uspsClientSecret: String
    /// ArcGIS `findAddressCandidates` endpoint.
    public var geocoderURL: String
    /// Lowest geocoder score accepted as the same address.
    public var geocodeMinimumScore: Double
    /// Coverage flag → ArcGIS layer query endpoint (a point inside a feature sets the flag).
    public var coverageLayers: [String: String]
}

/// How email and SMS leave the outbox (P8), how often they are retried, and who they are from.
public struct NotificationSettings: Sendable {
    public enum EmailBackend: String, Sendable, CaseIterable { case file, sendgrid }
    public enum SMSBackend: String, Sendable, CaseIterable { case file, twilio, off }

    public var emailBackend: EmailBackend
    public var smsBackend: SMSBackend
    public var sendgridURL: String
    public var sendgridAPIKey: String
    public var twilioURL: String
    public var twilioAccountSID: String
    public var twilioAuthToken: String
    /// The sending number (`+1…`) or a Messaging Service SID (`MG…`).
    public var twilioFrom: String
    public var fromEmail: String
    public var fromName: String
    public var replyTo: String
    /// Sends tried per message before it is marked failed.
    public var maxAttempts: Int
    /// The first retry waits about this long; each later one twice as long (with jitter).
    public var retryBase: TimeInterval
    /// The longest wait between two tries.
    public var retryCap: TimeInterval
    /// Longest wait for SendGrid or Twilio to answer.
    public var httpTimeout: TimeInterval
    /// Text messages to one number per hour; more wait for the next hour.
    public var smsPerNumberPerHour: Int
    /// Messages one worker claims per round.
    public var batchSize: Int
}

/// The city's contact details residents see.
public struct CityContact: Sendable, Encodable {
    public var email: String
    public var phone: String
}
