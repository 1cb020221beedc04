import Foundation
import Testing
import Vapor
import VaporTesting

@testable import GetYour

/// The OpenAPI document matches the routes (issue 15): every `/api/v1` route is in it, and
/// every path in it answers (none falls through to the catch-all `not_found`).
@Suite("Partner API: the OpenAPI document")
struct APIOpenAPITests {
    @Test func everyRouteIsDocumentedAndEveryDocumentedRouteAnswers() async throws {
        try await TestApp.run(try APITest.settings()) { app in
            let scene = try await ProgramScene.make(app)
            let (_, household) = try await scene.household("maria@example.com")
            let enrollment = try await scene.enrollment(household)
            let (response, document) = try await app.apiGet("/api/v1/openapi.json", token: nil)
            #expect(response.status == .ok)
            #expect(document["openapi"] as? String == "3.1.0")
            let paths = try #require(document["paths"] as? [String: [String: Any]])

            let routes = app.routes.all.filter {
                $0.path.count >= 2 && $0.path[0].description == "api" && $0.path[1].description == "v1" && !$0.path.contains(.catchall)
            }
            #expect(!routes.isEmpty)
            for route in routes {
                let path =
                    "/"
                    + route.path.map { component -> String in
                        if case .parameter(let name) = component { return "{\(name)}" }
                        return component.description
                    }.joined(separator: "/")
                let methods = paths[path].map { Set($0.keys) } ?? []
                #expect(methods.contains(route.method.rawValue.lowercased()), "\(route.method) \(path) is not in openapi.json")
            }

            let token = try await APITest.token(APITest.claims(roles: ["admin"], now: app.clock.now()))
            for (path, operations) in paths {
                let concrete = path.replacingOccurrences(of: "{slug}", with: "recreation")
                    .replacingOccurrences(of: "{id}", with: path.contains("contact") ? household.uuidString : enrollment.id!.uuidString)
                for method in operations.keys {
                    var headers = HTTPHeaders([("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")])
                    headers.add(name: "Idempotency-Key", value: "openapi-check")
                    let answer = try await app.testing(method: .inMemory).performTest(
                        request: TestingHTTPRequest(
                            method: HTTPMethod(rawValue: method.uppercased()), url: URI(path: concrete), headers: headers,
                            body: ByteBuffer(string: #"{"status": "enrolled"}"#)))
                    #expect(answer.status == .ok, "\(method) \(concrete) answered \(answer.status)")
                }
            }
        }
    }
}
