import Foundation
import Logging
import Synchronization
import Testing
import Vapor
import VaporTesting

@testable import GetYour

@Suite("Operations: /metrics, request logs (issue 13)")
struct OperationsTests {
    static let token = String(repeating: "m", count: 40)

    @Test func metricsAnswerOnlyConfiguredNetworksOrTheToken() async throws {
        try await TestApp.run(adjust: { $0.metrics = MetricsSettings(token: Self.token, allowedNetworks: []) }) { app in
            // No token, and not from an allowed network: the endpoint does not exist.
            #expect(try await Browser(app).get("/metrics").status == .notFound)
            #expect(try await Browser(app).get("/metrics", headers: ["Authorization": "Bearer wrong"]).status == .notFound)
            let answered = try await Browser(app).get("/metrics", headers: ["Authorization": "Bearer \(Self.token)"])
            #expect(answered.status == .ok)
            #expect(answered.headers.contentType?.description.hasPrefix("text/plain") == true)
        }
        // Local's default: loopback may read it without a token; a forged X-Forwarded-For
        // from loopback does not make an outside caller out of it, nor the reverse.
        try await TestApp.run { app in
            let local = Browser(app)
            local.overTheNetwork = true
            let fromLoopback = try await local.get("/metrics")
            #expect(fromLoopback.status == .ok)
            let forged = try await Browser(app).get("/metrics", headers: ["X-Forwarded-For": "127.0.0.1"])
            #expect(forged.status == .notFound)
        }
    }

    @Test func metricsCountRequestsByRoutePatternAndReportOutboxJobsAndDatabases() async throws {
        try await TestApp.run(adjust: { $0.metrics = MetricsSettings(token: Self.token, allowedNetworks: []) }) { app in
            let admin = try await signedInAdmin(app)
            for _ in 0..<3 { _ = try await Browser(app).get("/") }
            _ = try await admin.get("/staff?q=Marisol")
            _ = try await admin.get("/staff/households/\(UUID())")
            _ = try await Browser(app).get("/no/such/page/marisol@example.com")
            try await runCommand(app, "jobs", "--once")

            var text = try await Browser(app).get("/metrics", headers: ["Authorization": "Bearer \(Self.token)"]).body.string
            // Under the whole suite's load a database check can pass its two seconds: ask again.
            for _ in 0..<2 where !text.contains(#"getyour_database_up{database="primary"} 1"#) {
                text = try await Browser(app).get("/metrics", headers: ["Authorization": "Bearer \(Self.token)"]).body.string
            }
            #expect(text.contains(#"getyour_http_requests_total{route="/",method="GET",status="200"} 3"#))
            #expect(text.contains(#"getyour_http_request_duration_seconds_bucket{route="/",method="GET",le="+Inf"} 3"#))
            #expect(text.contains(#"route="/staff/households/:id""#))
            #expect(text.contains(#"getyour_http_requests_total{route="unmatched",method="GET",status="404"} 1"#))
            // Patterns only: no search term, id or typed path ever becomes a label.
            #expect(!text.lowercased().contains("marisol"))
            #expect(text.contains(#"getyour_outbox_messages{status="pending"}"#))
            #expect(text.contains("getyour_outbox_retrying_messages"))
            for job in JobRuns.names {
                #expect(text.contains(#"getyour_job_runs{job="\#(job)"} 1"#), "\(job) run not counted")
                #expect(text.contains(#"getyour_job_failures{job="\#(job)"} 0"#))
                #expect(text.contains(#"getyour_job_last_success_timestamp_seconds{job="\#(job)"}"#))
            }
            #expect(text.contains(#"getyour_database_up{database="primary"} 1"#))
            #expect(text.contains(#"getyour_migrations_pending{database="primary"} 0"#))
            #expect(text.contains("getyour_analytics_rows_dropped_total"))
            #expect(text.contains("getyour_http_requests_in_flight"))
            if TestApp.engine == "postgres" {
                #expect(text.contains(#"getyour_database_connections{database="primary",state="in_use"}"#))
                #expect(text.contains(#"getyour_database_pool_max_connections{database="primary"}"#))
            }

            // A second round adds to the same series.
            try await runCommand(app, "jobs", "--once")
            let again = try await Browser(app).get("/metrics", headers: ["Authorization": "Bearer \(Self.token)"]).body.string
            #expect(again.contains(#"getyour_job_runs{job="outbox"} 2"#))
        }
    }

    /// One JSON line per request: id, method, route pattern, status and duration, and none of
    /// the personal data a path or query string can carry.
    @Test func requestLogsAreJSONLinesWithoutThePathOrQuery() async throws {
        let lines = Mutex<[String]>([])
        let logger = Logger(label: "test") { label in
            JSONLogHandler(label: label) { line in lines.withLock { $0.append(line) } }
        }
        let app = try await Application.make(.testing)
        app.middleware = Middlewares()
        app.middleware.use(RequestIDMiddleware())
        app.middleware.use(RequestObserverMiddleware(metrics: AppMetrics(), logger: logger, level: .info))
        app.get("people", ":name") { _ in "hello" }
        try await app.testing().test(.GET, "/people/Marisol?email=marisol@example.com") { response in
            #expect(response.status == .ok)
        }
        try await app.asyncShutdown()

        let logged = lines.withLock { $0 }
        #expect(logged.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(logged[0].utf8)) as? [String: Any])
        #expect(object["message"] as? String == "request")
        #expect(object["level"] as? String == "info")
        #expect(object["route"] as? String == "/people/:name")
        #expect(object["method"] as? String == "GET")
        #expect(object["status"] as? String == "200")
        #expect((object["request_id"] as? String)?.isEmpty == false)
        #expect(Double(object["duration_ms"] as? String ?? "") != nil)
        #expect((object["time"] as? String)?.hasSuffix("Z") == true)
        #expect(!logged[0].lowercased().contains("marisol"))
    }

    @Test func stageRefusesAShortMetricsToken() throws {
        #expect(throws: SettingsError.self) {
            _ = try TestApp.settings("stage", variables: ["GETYOUR_METRICS_TOKEN": "short"])
        }
        let json = try TestApp.settings("stage")
        #expect(json.logFormat == .json)
        #expect(json.metrics.allowedNetworks.isEmpty && json.metrics.token == nil)
        #expect(try TestApp.settings("local").logFormat == .text)
    }
}
