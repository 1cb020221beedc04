import Vapor

/// Every route of the app, grouped by who uses it (style 5).
func routes(_ app: Application) throws {
    // Public
    let landing = LandingController()
    app.on(.GET, .home, use: landing.show)

    // Health (monitoring)
    let health = HealthController(recorder: app.analytics)
    app.on(.GET, .healthz, use: health.show)
}
