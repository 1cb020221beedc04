/// One documented setting: its dotted name in the TOML files and the environment variable
/// that overrides it. `secret` keys may never appear in a tracked settings file.
public struct SettingKey: Sendable, Hashable {
    public let name: String
    public let environmentVariable: String
    public let isSecret: Bool

    init(_ name: String, env: String? = nil, secret: Bool = false) {
        self.name = name
        self.environmentVariable =
            env
            ?? "GETYOUR_" + name.uppercased().replacingOccurrences(of: ".", with: "_")
        self.isSecret = secret
    }
}

extension SettingKey {
    static let version = SettingKey("app.version", env: "GETYOUR_VERSION")
    static let publicBaseURL = SettingKey("app.public_base_url")
    static let logLevel = SettingKey("app.log_level")
    static let logFormat = SettingKey("app.log_format")
    static let metricsToken = SettingKey("metrics.token", secret: true)
    static let metricsAllowed = SettingKey("metrics.allowed_networks")
    static let showErrorDetails = SettingKey("app.show_error_details")
    static let dataDirectory = SettingKey("app.data_dir", env: "GETYOUR_DATA_DIR")
    static let primaryURL = SettingKey("database.primary_url", secret: true)
    static let analyticsURL = SettingKey("database.analytics_url", secret: true)
    static let maxConnections = SettingKey("database.max_connections_per_event_loop")
    static let poolTimeout = SettingKey("database.pool_timeout_seconds")
    static let primaryMigrationURL = SettingKey("database.primary_migration_url", secret: true)
    static let analyticsMigrationURL = SettingKey("database.analytics_migration_url", secret: true)
    static let appRole = SettingKey("database.app_role")
    static let analyticsReaderRole = SettingKey("database.analytics_reader_role")
    static let secretKey = SettingKey("security.secret_key", secret: true)
    static let secureCookies = SettingKey("security.secure_cookies")
    static let hsts = SettingKey("security.hsts")
    static let bcryptCost = SettingKey("security.bcrypt_cost")
    static let idleMinutes = SettingKey("session.idle_minutes")
    static let absoluteHours = SettingKey("session.absolute_hours")
    static let maxFileMB = SettingKey("uploads.max_file_mb")
    static let maxFilesPerItem = SettingKey("uploads.max_files_per_item")
    static let analyticsBatch = SettingKey("analytics.batch_size")
    static let analyticsFlushMS = SettingKey("analytics.flush_interval_ms")
    static let analyticsBuffer = SettingKey("analytics.buffer_limit")
    static let trustedProxies = SettingKey("app.trusted_proxies")
    static let behindProxy = SettingKey("app.behind_proxy")
    static let maxMembers = SettingKey("application.max_members")
    static let maxApplicationMB = SettingKey("uploads.max_application_mb")
    static let staffIdleMinutes = SettingKey("session.staff_idle_minutes")
    static let loginAddressDelayMS = SettingKey("limits.login_address_delay_ms")
    static let resetsPerAccount = SettingKey("limits.password_resets_per_account")
    static let addressVerifier = SettingKey("address.verifier")
    static let uspsURL = SettingKey("address.usps_url")
    static let uspsClientID = SettingKey("address.usps_client_id", secret: true)
    static let uspsClientSecret = SettingKey("address.usps_client_secret", secret: true)
    static let geocoderURL = SettingKey("address.geocoder_url")
    static let geocodeScore = SettingKey("address.geocode_min_score")
    static let coverageLayers = SettingKey("address.coverage_layers")
    static let loginFailures = SettingKey("limits.login_failures")
    static let loginWindow = SettingKey("limits.login_window_minutes")
    static let signups = SettingKey("limits.signups")
    static let signupWindow = SettingKey("limits.signup_window_minutes")
    static let resets = SettingKey("limits.password_resets")
    static let resetWindow = SettingKey("limits.password_reset_window_minutes")
    static let addressChecks = SettingKey("limits.address_checks")
    static let addressCheckWindow = SettingKey("limits.address_check_window_minutes")
    static let emailBackend = SettingKey("notifications.email_backend")
    static let smsBackend = SettingKey("notifications.sms_backend")
    static let sendgridURL = SettingKey("notifications.sendgrid_url")
    static let sendgridAPIKey = SettingKey("notifications.sendgrid_api_key", secret: true)
    static let twilioURL = SettingKey("notifications.twilio_url")
    static let twilioAccountSID = SettingKey("notifications.twilio_account_sid", secret: true)
    static let twilioAuthToken = SettingKey("notifications.twilio_auth_token", secret: true)
    static let twilioFrom = SettingKey("notifications.twilio_from")
    static let fromEmail = SettingKey("notifications.from_email")
    static let fromName = SettingKey("notifications.from_name")
    static let replyTo = SettingKey("notifications.reply_to")
    static let maxAttempts = SettingKey("notifications.max_attempts")
    static let retryBaseSeconds = SettingKey("notifications.retry_base_seconds")
    static let retryCapMinutes = SettingKey("notifications.retry_cap_minutes")
    static let httpTimeoutSeconds = SettingKey("notifications.http_timeout_seconds")
    static let smsPerNumberPerHour = SettingKey("notifications.sms_per_number_per_hour")
    static let outboxBatch = SettingKey("notifications.batch_size")
    static let contactEmail = SettingKey("contact.email")
    static let contactPhone = SettingKey("contact.phone")
    static let jobsIntervalSeconds = SettingKey("jobs.interval_seconds")
    static let renewalOpensDays = SettingKey("renewal.opens_days")
    static let renewalReminderDays = SettingKey("renewal.reminder_days")
    static let renewalGraceDays = SettingKey("renewal.grace_days")
    static let documentRetentionMonths = SettingKey("retention.document_months")
    static let documentsBackend = SettingKey("documents.backend")
    static let s3Endpoint = SettingKey("documents.s3_endpoint")
    static let s3Bucket = SettingKey("documents.s3_bucket")
    static let s3Region = SettingKey("documents.s3_region")
    static let s3Addressing = SettingKey("documents.s3_addressing")
    static let s3KeyPrefix = SettingKey("documents.s3_key_prefix")
    static let s3AccessKeyID = SettingKey("documents.s3_access_key_id", secret: true)
    static let s3SecretAccessKey = SettingKey("documents.s3_secret_access_key", secret: true)
    static let s3SessionToken = SettingKey("documents.s3_session_token", secret: true)
    static let s3Encryption = SettingKey("documents.s3_encryption")
    static let s3KMSKeyID = SettingKey("documents.s3_kms_key_id")
    static let s3PartMB = SettingKey("documents.s3_part_mb")
    static let s3TimeoutSeconds = SettingKey("documents.s3_timeout_seconds")
    static let apiHS256Secret = SettingKey("api.jwt_hs256_secret", secret: true)
    static let apiPublicKeys = SettingKey("api.jwt_public_keys", secret: true)
    static let apiIssuer = SettingKey("api.jwt_issuer")
    static let apiAudience = SettingKey("api.jwt_audience")
    static let apiMaxTokenMinutes = SettingKey("api.max_token_minutes")
    static let apiRequestsPerMinute = SettingKey("api.requests_per_minute")

    /// Every key, in the order `ref/env_vars/README.md` documents them.
    public static let all: [SettingKey] = [
        version, publicBaseURL, logLevel, logFormat, showErrorDetails, dataDirectory, metricsToken, metricsAllowed,
        primaryURL, analyticsURL, maxConnections, poolTimeout, primaryMigrationURL, analyticsMigrationURL, appRole, analyticsReaderRole,
        secretKey, secureCookies, hsts, bcryptCost,
        idleMinutes, staffIdleMinutes, absoluteHours,
        maxFileMB, maxFilesPerItem, maxApplicationMB, maxMembers,
        documentsBackend, s3Endpoint, s3Bucket, s3Region, s3Addressing, s3KeyPrefix, s3AccessKeyID, s3SecretAccessKey, s3SessionToken,
        s3Encryption, s3KMSKeyID, s3PartMB, s3TimeoutSeconds,
        apiHS256Secret, apiPublicKeys, apiIssuer, apiAudience, apiMaxTokenMinutes, apiRequestsPerMinute,
        analyticsBatch, analyticsFlushMS, analyticsBuffer, trustedProxies, behindProxy,
        loginFailures, loginWindow, loginAddressDelayMS, resetsPerAccount, signups, signupWindow, resets, resetWindow, addressChecks,
        addressCheckWindow,
        addressVerifier, uspsURL, uspsClientID, uspsClientSecret, geocoderURL, geocodeScore, coverageLayers,
        contactEmail, contactPhone,
        emailBackend, smsBackend, sendgridURL, sendgridAPIKey, twilioURL, twilioAccountSID, twilioAuthToken, twilioFrom,
        fromEmail, fromName, replyTo, maxAttempts, retryBaseSeconds, retryCapMinutes, httpTimeoutSeconds, smsPerNumberPerHour,
        outboxBatch, jobsIntervalSeconds, renewalOpensDays, renewalReminderDays, renewalGraceDays, documentRetentionMonths,
    ]
}
