import Eligibility
import Fluent
import SQLKit
import Vapor

/// `POST /staff/documents/{id}/replace` (admins): puts a new file in place of one a resident
/// uploaded — for example a clearer copy the resident brought to the office — while the
/// application is with staff. The file goes through the same content checks as a resident's
/// upload (libmagic type, size, not truncated), is stored under a random name, and takes the
/// old file's checklist item, waiting for review. The old row and file are removed. One
/// transaction holds the rows, the application's new revision and the audit event; the old
/// file leaves the store only after that commits.
struct DocumentReplacement {
    func replace(_ request: Request) async throws -> Response {
        let db = request.db(.primary)
        guard let id = request.parameters.get("id").flatMap(UUID.init(uuidString:)),
            let old = try await Document.query(on: db).filter(\.$id == id).with(\.$application).first()
        else { throw Abort(.notFound) }
        let application = old.application
        let householdID = application.$household.id
        // The household page is re-rendered for errors: it reads the household from `id`.
        request.parameters.set("id", to: householdID.uuidString)
        let field = "replace-" + id.uuidString

        let settings = request.application.settings
        let receiver = UploadReceiver(
            temporaryFolder: settings.paths.dataDirectory.appendingPathComponent("tmp"), maxFileBytes: settings.uploads.maxFileBytes,
            maxFiles: 1, maxTotalBytes: settings.uploads.maxFileBytes + 1_048_576)
        if let length = request.headers.first(name: .contentLength).flatMap(Int.init), length > settings.uploads.maxFileBytes + 1_048_576 {
            throw Abort(.payloadTooLarge)
        }
        defer { receiver.discard() }
        var errors = FormErrors()
        do {
            try await receiver.receive(request) { try CSRF.verify($0, for: request) }
        } catch UploadReceiver.Failure.tooManyFiles {
            errors.add(field, "staff.error.replace_one")
        }
        guard [.submitted, .needsInfo].contains(application.status) else {
            errors.add(field, "staff.error.replace_closed")
            return try await HouseholdReviewController().render(request, errors, typed: [:], status: .conflict)
        }
        if errors.isEmpty, receiver.files.isEmpty { errors.add(field, "documents.error.no_file") }
        let accepted = errors.isEmpty ? DocumentsController.vet(receiver.files, field: field, request: request, errors: &errors) : []
        guard errors.isEmpty, let (file, type) = accepted.first else {
            return try await HouseholdReviewController().render(request, errors, typed: [:], status: .unprocessableEntity)
                .closing(if: receiver.stoppedEarly)
        }

        let store = request.application.documentStore
        let key = DocumentsController.randomKey()
        try await store.store(fileAt: file.temporary, key: key)
        let now = request.application.clock.now()
        let replacement = Document(
            file, type: type, storageKey: key, applicationID: try application.requireID(), purpose: old.purpose,
            memberID: old.$member.id, programID: old.$program.id, at: now)
        do {
            try await db.writeTransaction { db in
                // Only while the application is still with staff, and only once: a second
                // replacement of the same file finds no row to remove.
                let removed = try await (db as! any SQLDatabase).raw(
                    """
                    DELETE FROM documents WHERE id = \(bind: id) AND application_id IN
                    (SELECT id FROM applications WHERE id = \(bind: application.requireID()) AND status IN ('submitted', 'needs_info'))
                    RETURNING id
                    """
                ).all()
                guard !removed.isEmpty else { throw StaffDecisions.Refusal.stale }
                try await replacement.create(on: db)
                try await (db as! any SQLDatabase).raw(
                    "UPDATE applications SET revision = revision + 1 WHERE id = \(bind: application.requireID())"
                ).run()
                try await request.audit(
                    .documentReplaced, .init(household: householdID, application: application.id, document: replacement.id), on: db)
            }
        } catch {
            try? await store.delete(key: key)
            if case StaffDecisions.Refusal.stale = error {
                errors.add(field, "staff.error.stale")
                return try await HouseholdReviewController().render(request, errors, typed: [:], status: .conflict)
            }
            throw error
        }
        try? await store.delete(key: old.storageKey)
        request.application.staffCounts.invalidate()
        return request.redirect(
            to: SiteURL.staffHousehold.path(householdID.uuidString.lowercased()) + "?done=replaced", redirectType: .normal)
    }
}
