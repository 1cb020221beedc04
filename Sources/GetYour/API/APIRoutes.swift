import Fluent
import Foundation
import Vapor

/// The partner API under `/api/v1` (P14), its own middleware: no session, no CSRF cookie, no
/// HTML — JSON errors (`APIErrorMiddleware`, applied to every `/api/` request by `APIOnly` in
/// `configure`) and a bearer token (`APIAuthenticator`, this group's). Off (every path answers `not_found`) when no key is configured.
enum APIRoutes {
    static let prefix = "/api/"

    static func isAPI(_ path: String) -> Bool { path.hasPrefix(prefix) || path == "/api" }

    static func register(_ app: Application) {
        let settings = app.settings.api
        // (An address or method no route matches is a JSON not_found: `APIOnly` in configure.)
        if !settings.enabled {
            let off = app.grouped("api")
            for method in [HTTPMethod.GET, .POST, .PUT, .PATCH, .DELETE] {
                off.on(method, "**") { _ -> Response in throw APIError.notFound("The partner API is not enabled on this server.") }
            }
        }
        guard settings.enabled else { return }
        app.grouped("api", "v1").get("openapi.json", use: APIOpenAPI.serve)
        let partners = app.grouped("api", "v1").grouped(APIAuthenticator(settings: settings))
        partners.get("households", ":id", "contact", use: APIContactController().show)
        partners.get("programs", ":slug", "enrollments", use: APIEnrollmentsController().list)
        partners.post("programs", ":slug", "enrollments", ":id", use: APIDecisionController().decide)
    }
}

/// `GET /api/v1/households/{id}/contact`: the household's named contact, for an admin token
/// or a department whose program the household applied to. Audited (`contact.viewed`, actor
/// `api:<sub>`, ids only).
struct APIContactController {
    struct Contact: Content {
        let name: String
        let email: String?
        let phone: String?
        let relationship: String
        let receives: String
    }

    struct Answer: Content {
        let household_id: UUID
        let contact: Contact?
    }

    func show(_ request: Request) async throws -> Answer {
        let caller = try request.requireAPICaller()
        guard let id = request.parameters.get("id").flatMap(UUID.init(uuidString:)) else {
            throw APIError.notFound("No household has that id.")
        }
        let db = request.db(.primary)
        guard try await Household.find(id, on: db) != nil else { throw APIError.notFound("No household has that id.") }
        if !caller.isAdmin {
            let slugs = try await Enrollment.query(on: db).filter(\.$household.$id == id).with(\.$program).all().map(\.program.slug)
            // Not "forbidden": a department learns nothing about households outside its programs.
            guard slugs.contains(where: caller.programs.contains) else { throw APIError.notFound("No household has that id.") }
        }
        let contact = try await HouseholdContact.of(household: id, on: db)
        try await request.auditAPI(.contactViewed, .init(household: id))
        return Answer(
            household_id: id,
            contact: contact.map {
                Contact(
                    name: $0.name, email: $0.email.isEmpty ? nil : $0.email, phone: $0.phone.isEmpty ? nil : $0.phone,
                    relationship: $0.relationship, receives: $0.receives.rawValue)
            })
    }
}
