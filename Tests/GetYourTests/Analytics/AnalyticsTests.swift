import Fluent
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import GetYour

@Suite("Analytics request log (P9)")
struct AnalyticsTests {
    /// Every cell of every analytics table, as text.
    func everyCell(_ app: Application) async throws -> [String] {
        let sql = app.db(.analytics) as! any SQLDatabase
        let rows = try await sql.raw("SELECT * FROM request_logs").all()
        return rows.flatMap { row in
            row.allColumns.map { column in
                (try? row.decode(column: column, as: String.self))
                    ?? (try? row.decode(column: column, as: Int.self)).map(String.init) ?? ""
            }
        }
    }

    @Test func everyRequestIsLoggedWithItsRoutePatternNotItsPath() async throws {
        try await TestApp.run { app in
            app.addTestRoutes()
            let browser = Browser(app)
            try await browser.get("/")
            try await browser.get("/test/items/4711?secret=1")
            try await browser.get("/missing")
            await app.analytics.flush()
            let sql = app.db(.analytics) as! any SQLDatabase
            let rows = try await sql.raw("SELECT method, route, status, role FROM request_logs ORDER BY id").all()
            let seen = try rows.map {
                "\(try $0.decode(column: "method", as: String.self)) \(try $0.decode(column: "route", as: String.self)) \(try $0.decode(column: "status", as: Int.self)) \(try $0.decode(column: "role", as: String.self))"
            }
            #expect(seen == ["GET / 200 anonymous", "GET /test/items/:id 200 anonymous", "GET (unmatched) 404 anonymous"])
        }
    }

    @Test func noPersonalDataReachesTheAnalyticsDatabase() async throws {
        try await TestApp.run { app in
            app.addTestRoutes()
            let marker = "marker.person+\(UUID().uuidString.prefix(8))@example.com"
            let browser = Browser(app)
            try await browser.get("/test/form?email=\(marker)")
            try await browser.post("/test/form", [("email", marker), ("street", "123 Marker Street")])
            try await browser.get("/test/items/\(marker)")
            await app.analytics.flush()
            let cells = try await everyCell(app)
            #expect(cells.count > 10)
            for cell in cells {
                #expect(!cell.contains(marker))
                #expect(!cell.contains("Marker Street"))
                #expect(!cell.contains("127.0.0.1"))
            }
        }
    }

    @Test func theAppKeepsServingWhenAnalyticsIsUnreachable() async throws {
        try await TestApp.run(adjust: {
            $0.database.analytics = .postgres(url: "postgres://nobody:nothing@127.0.0.1:9/none?sslmode=disable")
        }) { app in
            let browser = Browser(app)
            for _ in 0..<3 {
                #expect(try await browser.get("/").status == .ok)
            }
            await app.analytics.flush()
            #expect(app.analytics.droppedCount >= 3)
            let health = try await browser.get("/healthz")
            #expect(health.status == .ok)
            let report = try JSONDecoder().decode(HealthController.Report.self, from: Data(health.text.utf8))
            #expect(report.databases["analytics"] == "down")
            #expect(report.databases["primary"] == "up")
            #expect(report.status == "degraded")
            #expect(report.analyticsRowsDropped >= 3)
        }
    }

    @Test func aFullBufferDropsAndCountsInsteadOfGrowing() async throws {
        let recorder = AnalyticsRecorder(
            settings: AnalyticsSettings(batchSize: 10, flushInterval: 60, bufferLimit: 100),
            logger: Logger(label: "test")
        ) { fatalError("not written in this test") }
        for index in 0..<150 {
            recorder.record(
                RequestLogRow(
                    requestID: "\(index)", method: "GET", route: "/", status: 200,
                    durationMicroseconds: 1, role: "anonymous", occurredAt: Date()))
        }
        #expect(recorder.droppedCount == 50)
    }
}
