import Fluent
import Foundation
import Prometheus
import SQLKit
import Synchronization
import Vapor

/// The Prometheus series `/metrics` serves (issue 13), on swift-prometheus's registry.
///
/// Request counts and latencies are this process's own (each server is scraped on its own).
/// The outbox, the jobs, pending migrations and database connections are read from the
/// database at scrape time, so every server reports the same cluster-wide values for them.
/// Labels are route patterns (`/staff/households/:id`), never paths, ids or query strings.
public final class AppMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let inFlight: Gauge
    private let droppedCounter: Counter
    private let lastDropped = Mutex(0)

    static let latencyBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    public init() {
        inFlight = registry.makeGauge(
            descriptor: .init(
                namespace: "getyour", metricName: "http_requests_in_flight", unitName: "", helpText: "Requests being answered now"))
        droppedCounter = registry.makeCounter(
            descriptor: .init(
                namespace: "getyour", metricName: "analytics_rows_dropped", unitName: "total",
                helpText: "Analytics rows dropped because the analytics database could not take them"))
    }

    func requestStarted() { inFlight.increment() }

    /// One answered request: its route pattern (or `unmatched`), method and status.
    func requestFinished(route: String, method: String, status: UInt, duration: Duration) {
        inFlight.decrement()
        registry.makeCounter(
            descriptor: .init(namespace: "getyour", metricName: "http_requests", unitName: "total", helpText: "Requests answered"),
            labels: [("route", route), ("method", method), ("status", String(status))]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: .init(
                namespace: "getyour", metricName: "http_request_duration", unitName: "seconds",
                helpText: "Time to answer a request, by route pattern"),
            labels: [("route", route), ("method", method)], buckets: Self.latencyBuckets
        ).record(duration)
    }

    /// Brings the scrape-time series up to date, then renders the text format.
    func render(_ app: Application) async -> String {
        let dropped = app.analytics.droppedCount
        let increase = lastDropped.withLock { last -> Int in
            defer { last = max(last, dropped) }
            return max(0, dropped - last)
        }
        if increase > 0 { droppedCounter.increment(by: Int64(increase)) }
        await refreshDatabaseSeries(app)
        return registry.emitToString()
    }

    private func gauge(_ name: String, _ help: String, _ labels: [(String, String)] = []) -> Gauge {
        registry.makeGauge(descriptor: .init(namespace: "getyour", metricName: name, unitName: "", helpText: help), labels: labels)
    }

    private func refreshDatabaseSeries(_ app: Application) async {
        let pool = app.settings.database.maxConnectionsPerEventLoop * System.coreCount
        for (id, size) in [
            (DatabaseID.primary, pool), (.analytics, min(2, app.settings.database.maxConnectionsPerEventLoop) * System.coreCount),
        ] {
            let database = app.db(id)
            let up = await HealthController.answers(database)
            gauge("database_up", "1 when the database answers SELECT 1 within two seconds", [("database", id.string)]).set(up ? 1.0 : 0.0)
            guard up else { continue }
            if database is any SQLDatabase, (database as! any SQLDatabase).dialect.name == "postgresql" {
                gauge("database_pool_max_connections", "Connections this server's pool may open", [("database", id.string)])
                    .set(Double(size))
                // Connections the app's role holds on this database, on every server: in use
                // (active or in a transaction) and idle in the pools.
                if let rows = try? await (database as! any SQLDatabase).raw(
                    """
                    SELECT CASE WHEN state = 'idle' THEN 'idle' ELSE 'in_use' END AS state, count(*) AS n
                    FROM pg_stat_activity WHERE usename = current_user AND datname = current_database()
                    GROUP BY 1
                    """
                ).all() {
                    var counts = ["idle": 0, "in_use": 0]
                    for row in rows {
                        if let state = try? row.decode(column: "state", as: String.self), let n = try? row.decode(column: "n", as: Int.self)
                        {
                            counts[state] = n
                        }
                    }
                    for (state, n) in counts {
                        gauge(
                            "database_connections", "Connections held by the app's role, all servers",
                            [("database", id.string), ("state", state)]
                        )
                        .set(Double(n))
                    }
                }
            }
            if let pending = try? await app.pendingMigrations(id) {
                gauge("migrations_pending", "Migrations the code has that the database has not run", [("database", id.string)])
                    .set(Double(pending.count))
            }
        }
        let primary = app.db(.primary) as! any SQLDatabase
        if let rows = try? await primary.raw(
            "SELECT status, count(*) AS n, sum(CASE WHEN attempts > 0 THEN 1 ELSE 0 END) AS retried FROM outbox_messages WHERE status <> 'sent' GROUP BY status"
        ).all() {
            var counts = ["pending": 0, "sending": 0, "failed": 0]
            var retrying = 0
            for row in rows {
                guard let status = try? row.decode(column: "status", as: String.self), let n = try? row.decode(column: "n", as: Int.self)
                else { continue }
                counts[status] = n
                if status == "pending" { retrying = (try? row.decode(column: "retried", as: Int?.self)) ?? 0 }
            }
            for (status, n) in counts {
                gauge("outbox_messages", "Outbox messages not yet sent: pending, being sent, or failed for good", [("status", status)])
                    .set(Double(n))
            }
            gauge("outbox_retrying_messages", "Pending messages that failed at least once and wait for another try").set(Double(retrying))
        }
        if let runs = try? await JobRuns.all(on: app.db(.primary)) {
            for run in runs {
                gauge("job_runs", "Runs of each getyour jobs step, all workers", [("job", run.job)]).set(Double(run.runs))
                gauge("job_failures", "Failed runs of each getyour jobs step, all workers", [("job", run.job)]).set(Double(run.failures))
                if let last = run.lastSuccessAt {
                    gauge("job_last_success_timestamp_seconds", "When each step last succeeded (Unix time)", [("job", run.job)])
                        .set(last.timeIntervalSince1970)
                }
            }
        }
    }
}

/// `GET /metrics`: for the configured networks, or with the bearer token; a 404 for anyone
/// else, so the endpoint is not advertised.
struct MetricsController {
    let metrics: AppMetrics

    func show(_ request: Request) async throws -> Response {
        let settings = request.application.settings.metrics
        guard Self.allowed(request, settings) else { throw Abort(.notFound) }
        let body = await metrics.render(request.application)
        var headers = HTTPHeaders()
        headers.contentType = HTTPMediaType(type: "text", subType: "plain", parameters: ["version": "0.0.4", "charset": "utf-8"])
        headers.cacheControl = .init(noStore: true)
        return Response(status: .ok, headers: headers, body: .init(string: body))
    }

    static func allowed(_ request: Request, _ settings: MetricsSettings) -> Bool {
        if let token = settings.token, let sent = request.headers.bearerAuthorization?.token,
            CSRF.constantTimeEquals(Array(sent.utf8), Array(token.utf8))
        {
            return true
        }
        return ClientAddress.isTrusted(request.clientAddress, settings.allowedNetworks)
    }
}

private enum AppMetricsKey: StorageKey { typealias Value = AppMetrics }

extension Application {
    /// The process's metrics registry (`/metrics`).
    public var metrics: AppMetrics {
        get {
            guard let metrics = storage[AppMetricsKey.self] else { fatalError("configure(_:) has not run") }
            return metrics
        }
        set { storage[AppMetricsKey.self] = newValue }
    }
}
