import Eligibility
import Fluent
import Vapor

/// `/apply/respond` (P13 continued, issue 9): when staff ask for more, the resident sees the
/// message and the items asked for, uploads files for them (through `/apply/documents/{item}`)
/// and sends a response. Sending puts the application back in the queue, marked "answered".
struct RespondController {
    struct FileRow: Encodable {
        let name: String
        let stateKey: String
        let reason: String?
        let deleteURL: String?
    }

    struct ItemRow: Encodable {
        let key: String
        let title: String
        let files: [FileRow]
        let hasFiles: Bool
        let uploadURL: String
        let error: String?
        let fieldID: String
    }

    struct Page: Encodable {
        let layout: LayoutContext
        let summary: ErrorSummary
        let notice: String?
        let staffMessage: String
        let items: [ItemRow]
        let message: FormField
        let maxMB: Int
    }

    func show(_ request: Request) async throws -> Response {
        guard let application = try await request.flow.awaitingResponse() else {
            return request.redirect(to: SiteURL.dashboard.path(), redirectType: .normal)
        }
        let notice = (try? request.query.get(Int.self, at: "uploaded")).map { _ in "documents.uploaded" }
        return try await render(request, application, FormErrors(), typed: nil, notice: notice, status: .ok)
    }

    func send(_ request: Request) async throws -> Response {
        guard let application = try await request.flow.awaitingResponse() else {
            return request.redirect(to: SiteURL.dashboard.path(), redirectType: .normal)
        }
        let message = ((try? request.content.get(String.self, at: "message")) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        var errors = FormErrors()
        if message.count > 2000 { errors.add("message", "respond.error.too_long", ["2000"]) }
        let checklist = try await DocumentChecklist.load(for: application, on: request.db(.primary))
        let uploadedSinceRequest = checklist.items.filter { application.requestedItems.contains($0.key) }
            .contains { $0.documents.contains { $0.reviewState == .pending } }
        if message.isEmpty && !uploadedSinceRequest { errors.add("message", "respond.error.empty") }
        guard errors.isEmpty else { return try await render(request, application, errors, typed: message, status: .unprocessableEntity) }
        guard let next = ApplicationLifecycle.decide(.resident, .respond, from: application.status) else { throw Abort(.conflict) }
        let user = try request.currentUser, now = request.application.clock.now()
        let applicationID = try application.requireID()
        try await request.db(.primary).writeTransaction { db in
            try await ApplicationRecord.query(on: db).filter(\.$id == applicationID).filter(\.$status == .needsInfo)
                .set(\.$status, to: next).set(\.$answeredAt, to: now).update()
            if !message.isEmpty {
                try await ApplicationMessage(
                    applicationID: applicationID, authorRole: "resident", authorID: user.id, kind: .response, body: message, at: now
                ).create(on: db)
            }
            try await ApplicationFlow.markChangedForStaff(application, now: now, on: db)
            try await request.audit(.residentResponded, .init(household: application.$household.id, application: applicationID), on: db)
        }
        request.application.staffCounts.invalidate()
        return request.redirect(to: SiteURL.dashboard.path() + "?notice=responded", redirectType: .normal)
    }

    func render(
        _ request: Request, _ application: ApplicationRecord, _ errors: FormErrors, typed: String?, notice: String? = nil,
        status: HTTPResponseStatus
    ) async throws -> Response {
        let messages = request.application.messages, language = request.language
        let checklist = try await DocumentChecklist.load(for: application, on: request.db(.primary))
        let m = errors.resolved(request)
        let items = checklist.items.filter { application.requestedItems.contains($0.key) }.map { item in
            ItemRow(
                key: item.key, title: item.title(messages, language),
                files: item.documents.map { document in
                    FileRow(
                        name: document.originalName, stateKey: "respond.state.\(document.reviewState.rawValue)",
                        reason: document.rejectionText(messages, language),
                        deleteURL: document.reviewState == .pending ? SiteURL.documentDelete.path(document.id!.uuidString) : nil)
                }, hasFiles: !item.documents.isEmpty, uploadURL: SiteURL.documentUpload.path(item.key), error: m["files-" + item.key],
                fieldID: "field-files-" + item.key.replacingOccurrences(of: "_", with: "-"))
        }
        let page = Page(
            layout: request.layout(titleKey: "respond.title", hasErrors: !errors.isEmpty), summary: ErrorSummary(request, errors),
            notice: notice, staffMessage: application.statusMessage ?? "", items: items,
            message: .textarea("message", label: "respond.message", hint: "respond.message_hint", value: typed, errors: m),
            maxMB: request.application.settings.uploads.maxFileBytes / 1_048_576)
        return try await request.view.render("application/respond", page).response(status, for: request)
    }
}
