import Fluent
import Foundation
import Vapor

/// `/settings/export` and `/settings/delete` (P10, P13 continued, issue 14): a resident
/// downloads everything the service holds about them, or deletes their account.
struct DataRightsController {
    struct DeleteForm: Content {
        var password: String?
        var confirm: String?
    }

    /// `GET /settings/export`: a zip with `data.json` and every uploaded file. The zip is
    /// written to a private temporary file and streamed, then removed.
    func export(_ request: Request) async throws -> Response {
        let user = try request.currentUser
        guard user.role == .resident else { throw Abort(.notFound) }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("getyour-export-\(UUID().uuidString).zip")
        do {
            try await AccountData.writeZip(for: user, app: request.application, to: file)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
            try await request.audit(.accountExported, .init(user: user.requireID()))
        } catch {
            try? FileManager.default.removeItem(at: file)
            throw error
        }
        let response = try await request.fileio.asyncStreamFile(at: file.path, mediaType: .zip) { _ in
            try? FileManager.default.removeItem(at: file)
        }
        response.headers.replaceOrAdd(
            name: .contentDisposition, value: "attachment; filename=\"getyour-my-data-\(Self.stamp(request.application.clock.now())).zip\"")
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    static func stamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = Request.cityTimeZone
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.string(from: date)
    }

    /// `POST /settings/delete`: `password` and `confirm=yes`. A wrong password or a missing
    /// confirmation is a 422 on the settings page and nothing changes.
    func delete(_ request: Request) async throws -> Response {
        let user = try request.currentUser
        guard user.role == .resident else { throw Abort(.forbidden) }
        let form = (try? request.content.decode(DeleteForm.self)) ?? DeleteForm()
        var errors = FormErrors()
        if form.confirm != "yes" { errors.add("confirm", "settings.error.delete_confirm") }
        if (form.password ?? "").isEmpty {
            errors.add("password", "settings.error.delete_password")
        } else if let problem = try await SettingsController.checkCurrentPassword(form.password, of: user, on: request) {
            errors.add("password", problem, ["\(Int(request.application.settings.limits.loginFailures.window / 60))"])
        }
        guard errors.isEmpty else {
            return try await SettingsController().render(request, .delete, errors, status: .unprocessableEntity)
        }
        let userID = try user.requireID()
        let requestID = request.requestID, now = request.application.clock.now()
        _ = try await AccountErasure.erase(user, app: request.application) { db in
            try await AuditEvent(
                actorID: userID.uuidString.lowercased(), actorRole: User.Role.resident.rawValue, action: .accountErased,
                subject: .init(user: userID), requestID: requestID, at: now
            ).create(on: db)
        }
        request.browserSession.destroy()
        let page = MessagePage(
            layout: request.layout(titleKey: "settings.deleted_title"), headingKey: "settings.deleted_title",
            bodyKey: "settings.deleted_body")
        return try await request.view.render("accounts/message", page).encodeResponse(for: request)
    }
}
