import Eligibility
import Foundation

/// Untyped values on their way to a `Settings`; collects every problem before failing so that
/// an operator sees all missing secrets at once.
struct RawSettings {
    let values: [String: String]
    let environment: AppEnvironment
    private(set) var problems: [String] = []
    private(set) var missingSecrets: [String] = []

    init(values: [String: String], environment: AppEnvironment) {
        self.values = values
        self.environment = environment
    }

    mutating func resolve(root: URL) throws -> Settings {
        let isLocal = environment == .local
        let dataDir = resolvePath(string(.dataDirectory, default: "var"), root: root)
        let settings = Settings(
            environment: environment,
            version: string(.version, default: GetYourVersion.current),
            publicBaseURL: string(.publicBaseURL, default: "http://127.0.0.1:8080"),
            logLevel: string(.logLevel, default: "info"),
            logFormat: choice(.logFormat, default: isLocal ? LogFormat.text : .json),
            metrics: MetricsSettings(
                token: values[SettingKey.metricsToken.name].flatMap { $0.isEmpty ? nil : $0 },
                allowedNetworks: networks(.metricsAllowed, default: isLocal ? "127.0.0.1, ::1" : "")),
            showErrorDetails: environment == .production ? false : bool(.showErrorDetails, default: isLocal),
            database: DatabaseSettings(
                primary: location(.primaryURL, sqliteFile: dataDir.appendingPathComponent("primary.sqlite")),
                analytics: location(.analyticsURL, sqliteFile: dataDir.appendingPathComponent("analytics.sqlite")),
                maxConnectionsPerEventLoop: int(.maxConnections, default: 4, range: 1...64),
                poolTimeout: int(.poolTimeout, default: 5, range: 1...120),
                primaryMigration: optionalLocation(.primaryMigrationURL),
                analyticsMigration: optionalLocation(.analyticsMigrationURL),
                appRole: roleName(.appRole),
                analyticsReaderRole: roleName(.analyticsReaderRole)
            ),
            security: SecuritySettings(
                secretKey: secret(.secretKey, localDefault: "local-development-secret-key-not-for-real-use"),
                secureCookies: bool(.secureCookies, default: !isLocal),
                hsts: bool(.hsts, default: environment == .production || environment == .stage),
                bcryptCost: int(.bcryptCost, default: 12, range: 4...16)
            ),
            session: SessionSettings(
                idleTimeout: TimeInterval(int(.idleMinutes, default: 30, range: 1...1440) * 60),
                staffIdleTimeout: TimeInterval(int(.staffIdleMinutes, default: 15, range: 1...1440) * 60),
                absoluteTimeout: TimeInterval(int(.absoluteHours, default: 12, range: 1...168) * 3600)
            ),
            uploads: UploadSettings(
                maxFileBytes: int(.maxFileMB, default: 20, range: 1...200) * 1_048_576,
                maxFilesPerItem: int(.maxFilesPerItem, default: 10, range: 1...50),
                maxBytesPerApplication: int(.maxApplicationMB, default: 250, range: 1...10_000) * 1_048_576
            ),
            documents: documentStorageSettings(),
            api: apiSettings(root: root),
            analytics: AnalyticsSettings(
                batchSize: int(.analyticsBatch, default: 200, range: 1...10_000),
                flushInterval: TimeInterval(int(.analyticsFlushMS, default: 1000, range: 10...60_000)) / 1000,
                bufferLimit: int(.analyticsBuffer, default: 20_000, range: 100...1_000_000)
            ),
            limits: LimitSettings(
                loginFailures: limit(.loginFailures, 5, .loginWindow, 15),
                loginAddressDelay: TimeInterval(int(.loginAddressDelayMS, default: 2000, range: 0...60_000)) / 1000,
                passwordResetsPerAccount: RateLimit(
                    count: int(.resetsPerAccount, default: 3, range: 1...1_000_000),
                    window: TimeInterval(int(.resetWindow, default: 60, range: 1...10_080) * 60)),
                signups: limit(.signups, 10, .signupWindow, 60),
                passwordResets: limit(.resets, 5, .resetWindow, 60),
                addressChecks: limit(.addressChecks, 30, .addressCheckWindow, 10)
            ),
            address: addressSettings(),
            notifications: notificationSettings(),
            contact: cityContact(),
            jobsInterval: TimeInterval(int(.jobsIntervalSeconds, default: 15, range: 1...86_400)),
            renewal: RenewalSchedule(
                opensDaysBefore: int(.renewalOpensDays, default: 60, range: 0...365), reminderDays: reminderDays(),
                graceDays: int(.renewalGraceDays, default: 30, range: 0...365)),
            documentRetentionMonths: int(.documentRetentionMonths, default: 24, range: 1...240),
            trustedProxies: networks(.trustedProxies),
            behindProxy: bool(.behindProxy, default: false),
            maxHouseholdMembers: int(.maxMembers, default: 20, range: 1...100),
            paths: Settings.Paths(root: root, dataDirectory: dataDir)
        )
        if !missingSecrets.isEmpty {
            throw SettingsError.missingSecrets(environment: environment.rawValue, variables: missingSecrets)
        }
        if !problems.isEmpty { throw SettingsError.invalidValues(problems) }
        if environment == .stage || environment == .production {
            let unsafe = Self.guardRails(settings)
            if !unsafe.isEmpty { throw SettingsError.unsafeForEnvironment(environment: environment.rawValue, problems: unsafe) }
        }
        return settings
    }

    /// What `stage` and `production` refuse to start with (they hold real personal data):
    /// each problem names the variable to fix, never its value.
    static func guardRails(_ settings: Settings) -> [String] {
        var problems: [String] = []
        let key = settings.security.secretKey
        if key.count < 32 || key.uppercased().contains("CHANGE_ME") {
            problems.append(
                "\(SettingKey.secretKey.environmentVariable) must be at least 32 random characters, not the template's placeholder")
        }
        if let token = settings.metrics.token, token.count < 32 || token.uppercased().contains("CHANGE_ME") {
            problems.append("\(SettingKey.metricsToken.environmentVariable) must be at least 32 random characters, or unset")
        }
        if !settings.security.secureCookies {
            problems.append("\(SettingKey.secureCookies.environmentVariable) must be true (cookies only over HTTPS)")
        }
        if !settings.security.hsts { problems.append("\(SettingKey.hsts.environmentVariable) must be true") }
        if settings.security.bcryptCost < 12 {
            problems.append("\(SettingKey.bcryptCost.environmentVariable) must be 12 or more")
        }
        if settings.notifications.emailBackend == .file && settings.environment == .production {
            problems.append("\(SettingKey.emailBackend.environmentVariable) must be sendgrid (files are for local and test use)")
        }
        if settings.notifications.smsBackend == .file && settings.environment == .production {
            problems.append("\(SettingKey.smsBackend.environmentVariable) must be twilio or off (files are for local and test use)")
        }
        if settings.documents.backend == .s3, settings.documents.s3.endpoint.scheme != "https" {
            problems.append(
                "\(SettingKey.s3Endpoint.environmentVariable) must be an https:// URL (documents never cross the network in clear)")
        }
        if settings.logLevel == "trace" {
            problems.append(
                "\(SettingKey.logLevel.environmentVariable) must not be trace: at trace, SQL statements are logged with their values")
        }
        let locations: [(DatabaseLocation, SettingKey)] =
            [
                (settings.database.primary, .primaryURL), (settings.database.analytics, .analyticsURL),
            ]
            + [(settings.database.primaryMigration, .primaryMigrationURL), (settings.database.analyticsMigration, .analyticsMigrationURL)]
            .compactMap { location, key in location.map { ($0, key) } }
        for (location, setting) in locations {
            switch location {
            case .sqliteFile:
                problems.append("\(setting.environmentVariable) must be a PostgreSQL URL (SQLite is for local use only)")
            case .postgres(let url, _):
                let mode = URLComponents(string: url)?.queryItems?.last {
                    ["sslmode", "tlsmode", "ssl", "tls"].contains($0.name.lowercased())
                }?.value
                if !["require", "verify-full", "verify-ca"].contains(mode ?? "") {
                    problems.append("\(setting.environmentVariable) must end with ?sslmode=require or ?sslmode=verify-full")
                }
            }
        }
        return problems
    }

    private func string(_ key: SettingKey, default fallback: String) -> String {
        guard let value = values[key.name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else {
            return fallback
        }
        return value
    }

    private mutating func bool(_ key: SettingKey, default fallback: Bool) -> Bool {
        guard let value = values[key.name]?.lowercased(), !value.isEmpty else { return fallback }
        switch value {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default:
            problems.append("\(key.environmentVariable) must be true or false")
            return fallback
        }
    }

    private mutating func int(_ key: SettingKey, default fallback: Int, range: ClosedRange<Int>) -> Int {
        guard let value = values[key.name], !value.isEmpty else { return fallback }
        guard let number = Int(value), range.contains(number) else {
            problems.append("\(key.environmentVariable) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            return fallback
        }
        return number
    }

    /// Days before the first expiry when reminders go out: whole numbers from 0 to 365,
    /// separated by commas ("60,30,7"); empty for none.
    private mutating func reminderDays() -> [Int] {
        let text = values[SettingKey.renewalReminderDays.name]?.trimmingCharacters(in: .whitespaces) ?? "60,30,7"
        let days = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard days.allSatisfy({ $0.map { (0...365).contains($0) } ?? false }), Set(days).count == days.count else {
            problems.append(
                "\(SettingKey.renewalReminderDays.environmentVariable) must be different whole numbers of days from 0 to 365, separated by commas (like 60,30,7)"
            )
            return [60, 30, 7]
        }
        return days.compactMap { $0 }
    }

    /// `filesystem` needs nothing; `s3` needs a bucket and its keys, and start-up names each
    /// one missing (never a silent fall-back to the local folder).
    private mutating func documentStorageSettings() -> DocumentStorageSettings {
        let backend = choice(.documentsBackend, default: DocumentStorageSettings.Backend.filesystem)
        let region = string(.s3Region, default: "us-east-1")
        let endpointText = string(.s3Endpoint, default: "")
        var endpoint = URL(string: "https://s3.\(region).amazonaws.com")!
        if !endpointText.isEmpty {
            if let url = URL(string: endpointText), ["http", "https"].contains(url.scheme ?? ""), url.host != nil,
                url.path.isEmpty || url.path == "/", url.query == nil
            {
                endpoint = url
            } else {
                problems.append("\(SettingKey.s3Endpoint.environmentVariable) must be a base URL like https://s3.us-east-1.amazonaws.com")
            }
        }
        let bucket = string(.s3Bucket, default: "")
        let prefix = string(.s3KeyPrefix, default: "documents/")
        let settings = S3Settings(
            endpoint: endpoint, bucket: bucket, region: region,
            addressing: choice(.s3Addressing, default: endpointText.isEmpty ? S3Settings.Addressing.virtual : .path),
            keyPrefix: prefix,
            accessKeyID: optionalSecret(.s3AccessKeyID) ?? "", secretAccessKey: optionalSecret(.s3SecretAccessKey) ?? "",
            sessionToken: optionalSecret(.s3SessionToken),
            encryption: choice(.s3Encryption, default: S3Settings.Encryption.none),
            kmsKeyID: {
                let id = string(.s3KMSKeyID, default: ""); return id.isEmpty ? nil : id
            }(),
            partSize: int(.s3PartMB, default: 8, range: 5...512) * 1_048_576,
            timeout: TimeInterval(int(.s3TimeoutSeconds, default: 60, range: 1...3600)))
        if backend == .s3 {
            // Bucket names (AWS's rules): 3–63 lower-case letters, digits, dots and hyphens.
            if bucket.range(of: "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", options: .regularExpression) == nil {
                problems.append(
                    "\(SettingKey.s3Bucket.environmentVariable) must name the bucket (3 to 63 lower-case letters, digits, dots, hyphens)")
            }
            if region.range(of: "^[a-z0-9-]{1,32}$", options: .regularExpression) == nil {
                problems.append("\(SettingKey.s3Region.environmentVariable) must be a region name like us-east-1")
            }
            if prefix.contains("..") || prefix.hasPrefix("/") {
                problems.append("\(SettingKey.s3KeyPrefix.environmentVariable) must not start with / or contain ..")
            }
            if settings.accessKeyID.isEmpty { missingSecrets.append(SettingKey.s3AccessKeyID.environmentVariable) }
            if settings.secretAccessKey.isEmpty { missingSecrets.append(SettingKey.s3SecretAccessKey.environmentVariable) }
        }
        return DocumentStorageSettings(backend: backend, s3: settings)
    }

    /// `api.jwt_public_keys`: `kid=ES256:/path/key.pem; kid2=RS256:/path/other.pem` (files
    /// readable by the app). The HS256 secret must be at least 32 characters.
    private mutating func apiSettings(root: URL) -> APISettings {
        var keys: [APISettings.PublicKey] = []
        for entry in (optionalSecret(.apiPublicKeys) ?? "").split(separator: ";") {
            let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            let spec = parts.count == 2 ? parts[1].split(separator: ":", maxSplits: 1).map(String.init) : []
            guard parts.count == 2, !parts[0].isEmpty, spec.count == 2, let algorithm = APISettings.PublicKey.Algorithm(rawValue: spec[0])
            else {
                problems.append(
                    "\(SettingKey.apiPublicKeys.environmentVariable) must look like kid=ES256:/path/key.pem; kid2=RS256:/path/key.pem")
                continue
            }
            let path = resolvePath(spec[1], root: root).path
            guard let pem = try? String(contentsOfFile: path, encoding: .utf8) else {
                problems.append("\(SettingKey.apiPublicKeys.environmentVariable): the key file of \(parts[0]) cannot be read")
                continue
            }
            keys.append(.init(kid: parts[0], algorithm: algorithm, pem: pem))
        }
        let secret = optionalSecret(.apiHS256Secret)
        if let secret, secret.count < 32 {
            problems.append("\(SettingKey.apiHS256Secret.environmentVariable) must be at least 32 random characters")
        }
        let issuer = string(.apiIssuer, default: ""), audience = string(.apiAudience, default: "")
        return APISettings(
            hs256Secret: secret, publicKeys: keys, issuer: issuer.isEmpty ? nil : issuer, audience: audience.isEmpty ? nil : audience,
            maxTokenLifetime: TimeInterval(int(.apiMaxTokenMinutes, default: 60, range: 1...1440) * 60),
            requestsPerMinute: int(.apiRequestsPerMinute, default: 600, range: 1...1_000_000))
    }

    private func optionalSecret(_ key: SettingKey) -> String? {
        guard let value = values[key.name], !value.isEmpty else { return nil }
        return value
    }

    /// The `usps` verifier needs its credentials and GIS endpoints; `local` needs nothing.
    private mutating func addressSettings() -> AddressSettings {
        let name = string(.addressVerifier, default: "local")
        let verifier = AddressSettings.Verifier(rawValue: name) ?? .local
        if AddressSettings.Verifier(rawValue: name) == nil {
            problems.append("\(SettingKey.addressVerifier.environmentVariable) must be local or usps")
        }
        var layers: [String: String] = [:]
        for pair in string(.coverageLayers, default: "").split(separator: ";") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, !parts[0].isEmpty, parts[1].hasPrefix("http") {
                layers[parts[0]] = parts[1]
            } else {
                problems.append("\(SettingKey.coverageLayers.environmentVariable) must look like flag=https://…;flag=https://…")
            }
        }
        let settings = AddressSettings(
            verifier: verifier,
            uspsURL: string(.uspsURL, default: "https://apis.usps.com"),
            uspsClientID: values[SettingKey.uspsClientID.name] ?? "",
            uspsClientSecret: values[SettingKey.uspsClientSecret.name] ?? "",
            geocoderURL: string(.geocoderURL, default: ""),
            geocodeMinimumScore: Double(string(.geocodeScore, default: "80")) ?? 80,
            coverageLayers: layers)
        if verifier == .usps {
            if settings.uspsClientID.isEmpty { missingSecrets.append(SettingKey.uspsClientID.environmentVariable) }
            if settings.uspsClientSecret.isEmpty { missingSecrets.append(SettingKey.uspsClientSecret.environmentVariable) }
            if settings.geocoderURL.isEmpty {
                problems.append("\(SettingKey.geocoderURL.environmentVariable) is needed by the usps verifier")
            }
            if layers.isEmpty { problems.append("\(SettingKey.coverageLayers.environmentVariable) is needed by the usps verifier") }
        }
        return settings
    }

    /// Outside `local` the real backends are the default, and their secrets are required:
    /// mail never silently lands in files on a server (P8).
    private mutating func notificationSettings() -> NotificationSettings {
        let isLocal = environment == .local
        let email = choice(.emailBackend, default: isLocal ? .file : NotificationSettings.EmailBackend.sendgrid)
        let sms = choice(.smsBackend, default: isLocal ? .file : NotificationSettings.SMSBackend.twilio)
        let contactEmail = string(.contactEmail, default: "")
        let settings = NotificationSettings(
            emailBackend: email, smsBackend: sms,
            sendgridURL: string(.sendgridURL, default: "https://api.sendgrid.com"),
            sendgridAPIKey: values[SettingKey.sendgridAPIKey.name] ?? "",
            twilioURL: string(.twilioURL, default: "https://api.twilio.com"),
            twilioAccountSID: values[SettingKey.twilioAccountSID.name] ?? "",
            twilioAuthToken: values[SettingKey.twilioAuthToken.name] ?? "",
            twilioFrom: string(.twilioFrom, default: ""),
            fromEmail: string(.fromEmail, default: isLocal ? "getyour@localhost" : ""),
            fromName: string(.fromName, default: "Get-Your"),
            replyTo: string(.replyTo, default: contactEmail),
            maxAttempts: int(.maxAttempts, default: 8, range: 1...50),
            retryBase: TimeInterval(int(.retryBaseSeconds, default: 60, range: 1...86_400)),
            retryCap: TimeInterval(int(.retryCapMinutes, default: 360, range: 1...10_080) * 60),
            httpTimeout: TimeInterval(int(.httpTimeoutSeconds, default: 10, range: 1...120)),
            smsPerNumberPerHour: int(.smsPerNumberPerHour, default: 6, range: 1...1_000_000),
            batchSize: int(.outboxBatch, default: 200, range: 1...10_000))
        if email == .sendgrid {
            if settings.sendgridAPIKey.isEmpty { missingSecrets.append(SettingKey.sendgridAPIKey.environmentVariable) }
            if !ContactRules.isEmail(settings.fromEmail) {
                problems.append("\(SettingKey.fromEmail.environmentVariable) must be the address mail is sent from (needed by sendgrid)")
            }
        }
        if sms == .twilio {
            if settings.twilioAccountSID.isEmpty { missingSecrets.append(SettingKey.twilioAccountSID.environmentVariable) }
            if settings.twilioAuthToken.isEmpty { missingSecrets.append(SettingKey.twilioAuthToken.environmentVariable) }
            if settings.twilioFrom.isEmpty {
                problems.append(
                    "\(SettingKey.twilioFrom.environmentVariable) must be the sending number (+1…) or a Messaging Service SID (MG…)")
            }
        }
        return settings
    }

    /// The city's contact details: required outside `local`, because pages and messages tell
    /// residents to use them.
    private mutating func cityContact() -> CityContact {
        let isLocal = environment == .local
        let contact = CityContact(
            email: string(.contactEmail, default: isLocal ? "getyour@city.example" : ""),
            phone: string(.contactPhone, default: isLocal ? "970-555-0100" : ""))
        if !contact.email.isEmpty, !ContactRules.isEmail(contact.email) {
            problems.append("\(SettingKey.contactEmail.environmentVariable) must be an email address")
        }
        if contact.email.isEmpty { problems.append("\(SettingKey.contactEmail.environmentVariable) must be the email residents write to") }
        if contact.phone.isEmpty { problems.append("\(SettingKey.contactPhone.environmentVariable) must be the number residents call") }
        return contact
    }

    private mutating func choice<Value: RawRepresentable & CaseIterable>(_ key: SettingKey, default fallback: Value) -> Value
    where Value.RawValue == String {
        guard let raw = values[key.name]?.trimmingCharacters(in: .whitespaces).lowercased(), !raw.isEmpty else { return fallback }
        guard let value = Value(rawValue: raw) else {
            let names = Value.allCases.map(\.rawValue).joined(separator: ", ")
            problems.append("\(key.environmentVariable) must be one of: \(names)")
            return fallback
        }
        return value
    }

    private mutating func limit(_ count: SettingKey, _ defaultCount: Int, _ window: SettingKey, _ defaultMinutes: Int) -> RateLimit {
        RateLimit(
            count: int(count, default: defaultCount, range: 1...1_000_000),
            window: TimeInterval(int(window, default: defaultMinutes, range: 1...10_080) * 60))
    }

    /// A secret: required outside `local`, where a clearly-named development value stands in.
    private mutating func secret(_ key: SettingKey, localDefault: String) -> String {
        if let value = values[key.name], !value.isEmpty { return value }
        if environment == .local { return localDefault }
        missingSecrets.append(key.environmentVariable)
        return ""
    }

    /// `local` falls back to an SQLite file under the data folder; every other environment
    /// must name a PostgreSQL database.
    private mutating func location(_ key: SettingKey, sqliteFile: URL) -> DatabaseLocation {
        guard let value = values[key.name], !value.isEmpty else {
            if environment == .local { return .sqliteFile(sqliteFile.path) }
            missingSecrets.append(key.environmentVariable)
            return .sqliteFile(sqliteFile.path)
        }
        if value.hasPrefix("postgres://") || value.hasPrefix("postgresql://") {
            return .postgres(url: value)
        }
        if value.hasPrefix("sqlite:") {
            return .sqliteFile(String(value.dropFirst("sqlite:".count)))
        }
        problems.append("\(key.environmentVariable) must start with postgres:// or sqlite:")
        return .sqliteFile(sqliteFile.path)
    }

    /// A PostgreSQL URL that may be left out (the migration URLs).
    private mutating func optionalLocation(_ key: SettingKey) -> DatabaseLocation? {
        guard let value = values[key.name], !value.isEmpty else { return nil }
        guard value.hasPrefix("postgres://") || value.hasPrefix("postgresql://") else {
            problems.append("\(key.environmentVariable) must start with postgres://")
            return nil
        }
        return .postgres(url: value)
    }

    /// A PostgreSQL role name: lower-case letters, digits and underscores.
    private mutating func roleName(_ key: SettingKey) -> String? {
        let value = string(key, default: "")
        guard !value.isEmpty else { return nil }
        guard value.range(of: "^[a-z_][a-z0-9_]{0,62}$", options: .regularExpression) != nil else {
            problems.append("\(key.environmentVariable) must be a role name of lower-case letters, digits and underscores")
            return nil
        }
        return value
    }

    /// A comma-separated list of addresses or CIDR networks.
    private mutating func networks(_ key: SettingKey, default fallback: String = "") -> [IPNetwork] {
        let items = string(key, default: fallback).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
            !$0.isEmpty
        }
        var networks: [IPNetwork] = []
        for item in items {
            if let network = IPNetwork(item) {
                networks.append(network)
            } else {
                problems.append("\(key.environmentVariable) must list addresses or networks like 10.0.0.0/8, ::1 (\"\(item)\" is neither)")
            }
        }
        return networks
    }

    private func resolvePath(_ path: String, root: URL) -> URL {
        path.hasPrefix("/")
            ? URL(fileURLWithPath: path, isDirectory: true)
            : root.appendingPathComponent(path, isDirectory: true)
    }
}

/// The release this build belongs to; deployments may override it with `GETYOUR_VERSION`.
public enum GetYourVersion {
    public static let current = "0.1.0"
}
