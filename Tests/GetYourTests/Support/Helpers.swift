import Foundation
import Testing
import Vapor
import VaporTesting

@testable import GetYour

/// Runs a `getyour` command against a test app, as an operator would.
func runCommand(_ app: Application, _ arguments: String...) async throws {
    var context = CommandContext(console: app.console, input: CommandInput(arguments: ["getyour"] + arguments))
    context.application = app
    let group = app.asyncCommands.group()
    try await group.run(using: &context)
}

/// Routes only tests register, to drive the platform layer before product pages exist.
extension Application {
    func addTestRoutes() {
        post("test", "form") { _ in "saved" }
        get("test", "form") { req -> Response in
            let html = "<form method=\"post\"><input type=\"hidden\" name=\"csrf_token\" value=\"\(req.csrfToken)\"></form>"
            return Response(status: .ok, headers: ["Content-Type": "text/html"], body: .init(string: html))
        }
        get("test", "remember") { req -> String in
            req.browserSession["note"] = "kept"
            return "ok"
        }
        get("test", "recall") { req -> String in req.browserSession["note"] ?? "nothing" }
        get("test", "explode") { _ -> String in
            struct Boom: Error, CustomStringConvertible { var description: String { "SELECT secret FROM internals" } }
            throw Boom()
        }
        get("test", "items", ":id") { _ in "item" }
    }
}

extension TestingHTTPResponse {
    var text: String { body.string }
}
