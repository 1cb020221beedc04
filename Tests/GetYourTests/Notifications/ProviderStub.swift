import Foundation
import Synchronization
import Testing
import Vapor

@testable import GetYour

/// A stand-in for SendGrid and Twilio on 127.0.0.1: records every request exactly as it
/// arrived and answers with the statuses a test scripts (then 202/201).
final class ProviderStub: Sendable {
    struct Recorded: Sendable {
        let method: String
        let path: String
        let headers: [String: String]
        let body: String
    }

    let app: Application
    let port: Int
    let requests = Mutex<[Recorded]>([])
    /// Statuses to answer with, first one first; when empty, success.
    let script = Mutex<[HTTPResponseStatus]>([])
    /// Seconds to wait before answering (time-out tests).
    let delay = Mutex<Double>(0)

    private init(app: Application, port: Int) {
        self.app = app
        self.port = port
    }

    var base: String { "http://127.0.0.1:\(port)" }

    static func start() async throws -> ProviderStub {
        let app = try await Application.make(.testing)
        app.logger.logLevel = .error
        let holder = Mutex<ProviderStub?>(nil)
        let handler: @Sendable (Request, HTTPResponseStatus) async throws -> Response = { request, success in
            let stub = holder.withLock { $0 }!
            var headers: [String: String] = [:]
            for (name, value) in request.headers { headers[name.lowercased()] = value }
            let body = request.body.string ?? ""
            stub.requests.withLock {
                $0.append(Recorded(method: request.method.rawValue, path: request.url.path, headers: headers, body: body))
            }
            let wait = stub.delay.withLock { $0 }
            if wait > 0 { try await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
            let status = stub.script.withLock { $0.isEmpty ? success : $0.removeFirst() }
            return Response(status: status, headers: ["Content-Type": "application/json"], body: .init(string: "{}"))
        }
        app.on(.POST, "v3", "mail", "send", body: .collect(maxSize: "1mb")) { try await handler($0, .accepted) }
        app.on(.POST, "2010-04-01", "Accounts", ":sid", "Messages.json", body: .collect(maxSize: "1mb")) { try await handler($0, .created) }
        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        let stub = ProviderStub(app: app, port: app.http.server.shared.localAddress?.port ?? 0)
        holder.withLock { $0 = stub }
        return stub
    }

    /// Test settings that send through this stub.
    func settings(_ extra: [String: String] = [:]) throws -> Settings {
        try TestApp.settings(
            variables: TestApp.serviceSettings.merging([
                "GETYOUR_NOTIFICATIONS_EMAIL_BACKEND": "sendgrid", "GETYOUR_NOTIFICATIONS_SENDGRID_URL": base,
                "GETYOUR_NOTIFICATIONS_SMS_BACKEND": "twilio", "GETYOUR_NOTIFICATIONS_TWILIO_URL": base,
                "GETYOUR_NOTIFICATIONS_HTTP_TIMEOUT_SECONDS": "10",
                "GETYOUR_NOTIFICATIONS_REPLY_TO": "help@city.example", "GETYOUR_NOTIFICATIONS_FROM_NAME": "City of Example",
            ]) { $1 }.merging(extra) { $1 })
    }

    func recorded() -> [Recorded] { requests.withLock { $0 } }

    func stop() async throws {
        await app.server.shutdown()
        try await app.asyncShutdown()
    }

    /// Runs `body` with an app wired to this stub, stopping the stub afterwards either way.
    static func with(_ extra: [String: String] = [:], _ body: (ProviderStub, Application) async throws -> Void) async throws {
        let stub = try await start()
        do {
            try await TestApp.run(try stub.settings(extra)) { app in try await body(stub, app) }
            try await stub.stop()
        } catch {
            try? await stub.stop()
            throw error
        }
    }
}
