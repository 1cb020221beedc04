import Fluent
import Leaf
import LeafKit
import Vapor

/// Wires the whole app: the one composition root (style 1). The executable and the tests
/// both call this, so tests exercise the real wiring.
public func configure(_ app: Application, settings: Settings) async throws {
    app.settings = settings
    app.messages = try Messages.load(from: settings.paths.settings.appendingPathComponent("messages"))
    app.logger.logLevel = Logger.Level(rawValue: settings.logLevel) ?? .info

    try app.configureDatabases(settings.database)
    app.configureProgramCatalog()
    app.migrations.add(PrimaryMigrations.all, to: .primary)
    app.migrations.add(AnalyticsMigrations.all, to: .analytics)

    app.views.use(.leaf)
    app.leaf.configuration = LeafConfiguration(rootDirectory: settings.paths.templates.path + "/")
    app.leaf.cache.isEnabled = settings.environment != .local
    app.registerLeafTags()
    try app.configureAccounts(settings)
    app.configureNotifications(settings.notifications)
    switch settings.address.verifier {
    case .local:
        app.addressVerifier = try LocalAddressVerifier.load(from: settings.paths.settings.appendingPathComponent("addresses.csv"))
    case .usps:
        app.http.client.configuration.timeout = .init(connect: .seconds(5), read: .seconds(10))
        app.addressVerifier = USPSAddressVerifier(settings: settings.address, client: app.client, tokens: .init(), logger: app.logger)
    }
    try app.configureDocumentStore(settings)
    app.magic = try MagicSniffer()
    app.submissionHooks.hooks.append { applicationID, request in
        try await AutoApply.run(applicationID: applicationID, on: request.db(.primary))
    }

    // Forms are small; uploads stream on their own routes with their own limits.
    app.routes.defaultMaxBodySize = "512kb"
    app.routes.caseInsensitive = false

    let recorder = AnalyticsRecorder(settings: settings.analytics, logger: app.logger) { [unowned app] in
        app.db(.analytics)
    }
    app.analytics = recorder
    app.lifecycle.use(AnalyticsLifecycle(recorder: recorder))

    app.metrics = AppMetrics()
    let observer = RequestObserverMiddleware(
        metrics: app.metrics, logger: app.logger, level: settings.logFormat == .json ? .info : .debug)
    app.middleware = middleware(for: settings, recorder: recorder, clock: app.clock, observer: observer)
    try await app.configureAPIKeys(settings.api)
    try routes(app)
    APIRoutes.register(app)
}

/// The middleware chain, outermost first. Errors are turned into pages inside the headers
/// and analytics layers, so error pages get both.
private func middleware(
    for settings: Settings, recorder: AnalyticsRecorder, clock: AppClock, observer: RequestObserverMiddleware
) -> Middlewares {
    let cookies = CookieSettings(secure: settings.security.secureCookies)
    var chain = Middlewares()
    chain.use(RequestIDMiddleware())
    chain.use(observer)
    chain.use(AnalyticsMiddleware(recorder: recorder))
    chain.use(SecurityHeadersMiddleware(hsts: settings.security.hsts))
    // The browser's layers; the partner API (`/api/`) passes them by and has its own
    // (`APIRoutes`: JSON errors, bearer tokens), so it never gets a session, a CSRF cookie
    // or an HTML page.
    chain.use(BrowserOnly(middleware: LanguageMiddleware(cookie: cookies)))
    chain.use(BrowserOnly(middleware: ErrorPageMiddleware(showDetails: settings.showErrorDetails)))
    chain.use(APIOnly(middleware: APIErrorMiddleware()))
    chain.use(StaticFilesMiddleware(publicDirectory: settings.paths.publicFiles.path + "/"))
    chain.use(BrowserOnly(middleware: SessionMiddleware(settings: settings.session, cookie: cookies, clock: { clock.now() })))
    chain.use(BrowserOnly(middleware: CSRFMiddleware(cookie: cookies, trustedOrigin: origin(of: settings.publicBaseURL))))
    return chain
}

private func origin(of url: String) -> String {
    guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else {
        return url
    }
    return scheme + "://" + host + (components.port.map { ":\($0)" } ?? "")
}

private enum AnalyticsRecorderKey: StorageKey { typealias Value = AnalyticsRecorder }

extension Application {
    /// The buffered analytics writer (P9).
    public var analytics: AnalyticsRecorder {
        get {
            guard let recorder = storage[AnalyticsRecorderKey.self] else { fatalError("configure(_:) has not run") }
            return recorder
        }
        set { storage[AnalyticsRecorderKey.self] = newValue }
    }
}

/// Starts the analytics writer on boot and flushes it on shutdown.
struct AnalyticsLifecycle: LifecycleHandler {
    let recorder: AnalyticsRecorder

    func didBootAsync(_ application: Application) async throws {
        recorder.start()
    }

    func shutdownAsync(_ application: Application) async {
        await recorder.stop()
    }
}
