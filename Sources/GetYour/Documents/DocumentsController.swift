import Crypto
import Eligibility
import Fluent
import Vapor

/// `/apply/documents` (P3 step 8, P6): the checklist, uploads per item, removal, and
/// `/documents/{id}` to view one's own file.
struct DocumentsController {
    struct FileRow: Encodable {
        let id: String
        let name: String
        let typeLabel: String
        let size: String
        let viewURL: String
        let deleteURL: String
    }

    struct ItemRow: Encodable {
        let key: String
        let title: String
        let hintKey: String
        let done: Bool
        let files: [FileRow]
        let hasFiles: Bool
        /// A renewal: files accepted on the last application that still count (view only).
        let carried: [FileRow]
        let hasCarried: Bool
        let uploadURL: String
        let error: String?
        let fieldID: String
    }

    struct Page: StepPage {
        let header: StepHeader
        let notice: String?
        let noLongerNeededNames: String?
        let items: [ItemRow]
        let leftovers: [FileRow]
        let hasLeftovers: Bool
        let allowedTypes: String
        let maxMB: Int
        let maxFiles: Int
        var layout: LayoutContext?
    }

    func show(_ request: Request) async throws -> Response {
        let draft = try await request.flow.draft()
        if let redirect = try await request.flow.redirect(ifUnreachable: .documents, draft) { return redirect }
        guard let draft else { throw Abort(.notFound) }
        let uploaded = (try? request.query.get(Int.self, at: "uploaded")).map { _ in "documents.uploaded" }
        return try await render(request, draft, FormErrors(), notice: uploaded, status: .ok)
    }

    /// "Continue": every checklist item needs at least one file.
    func finish(_ request: Request) async throws -> Response {
        let draft = try await request.flow.draft()
        if let redirect = try await request.flow.redirect(ifUnreachable: .documents, draft) { return redirect }
        guard let draft else { throw Abort(.notFound) }
        let checklist = try await DocumentChecklist.load(for: draft, on: request.db(.primary))
        var errors = FormErrors()
        for item in checklist.missing { errors.add("files-" + item.key, "documents.error.missing", [title(item, request)]) }
        guard errors.isEmpty else { return try await render(request, draft, errors, status: .unprocessableEntity) }
        return try await request.flow.advance(draft, past: .documents, returnToReview: request.returnsToReview, on: request.db(.primary))
    }

    func upload(_ request: Request) async throws -> Response {
        let settings = request.application.settings
        // Which application and checklist item, before a byte of the body is read: a request
        // for nothing is answered at once instead of being written to disk first.
        // The draft, or the application staff asked more of: then only the items they named.
        let target = try await request.flow.uploadTarget()
        if target?.status != .needsInfo, let redirect = try await request.flow.redirect(ifUnreachable: .documents, target) {
            return redirect
        }
        guard let draft = target else { throw Abort(.notFound) }
        let responding = draft.status == .needsInfo
        let db = request.db(.primary)
        let checklist = try await DocumentChecklist.load(for: draft, on: db)
        guard let key = request.parameters.get("item"), let item = checklist.item(key),
            !responding || draft.requestedItems.contains(key)
        else { throw Abort(.notFound) }

        // Refuse an obviously oversized request before reading it.
        let ceiling = settings.uploads.maxFileBytes * settings.uploads.maxFilesPerItem + 1_048_576
        let receiver = UploadReceiver(
            temporaryFolder: settings.paths.dataDirectory.appendingPathComponent("tmp"),
            maxFileBytes: settings.uploads.maxFileBytes, maxFiles: settings.uploads.maxFilesPerItem - item.documents.count,
            maxTotalBytes: ceiling)
        if let length = request.headers.first(name: .contentLength).flatMap(Int.init), length > ceiling { throw Abort(.payloadTooLarge) }
        defer { receiver.discard() }
        do {
            try await receiver.receive(request) { try CSRF.verify($0, for: request) }
        } catch UploadReceiver.Failure.tooManyFiles {
            var errors = FormErrors()
            errors.add("files-" + item.key, "documents.error.too_many", ["\(settings.uploads.maxFilesPerItem)"])
            return try await renderFor(request, draft, errors)
        }

        var errors = FormErrors()
        let field = "files-" + item.key
        let files = receiver.files
        if files.isEmpty { errors.add(field, "documents.error.no_file") }
        if item.documents.count + files.count > settings.uploads.maxFilesPerItem {
            errors.add(field, "documents.error.too_many", ["\(settings.uploads.maxFilesPerItem)"])
        }
        let storedBytes =
            checklist.items.flatMap(\.documents).reduce(0) { $0 + $1.byteSize } + checklist.noLongerNeeded.reduce(0) { $0 + $1.byteSize }
        if errors.isEmpty, storedBytes + files.reduce(0, { $0 + $1.size }) > settings.uploads.maxBytesPerApplication {
            errors.add(field, "documents.error.application_full", ["\(settings.uploads.maxBytesPerApplication / 1_048_576)"])
        }
        let accepted = errors.isEmpty ? Self.vet(files, field: field, request: request, errors: &errors) : []
        guard errors.isEmpty else { return try await renderFor(request, draft, errors).closing(if: receiver.stoppedEarly) }

        // Move the files into the store, then write their rows in one transaction; if the
        // rows cannot be written, the stored files are removed again (no file without a row).
        let store = request.application.documentStore
        var stored: [String] = []
        do {
            var rows: [Document] = []
            for (file, type) in accepted {
                let storageKey = Self.randomKey()
                try await store.store(fileAt: file.temporary, key: storageKey)
                stored.append(storageKey)
                rows.append(
                    Document(
                        file, type: type, storageKey: storageKey, applicationID: try draft.requireID(), purpose: item.purpose,
                        memberID: item.member?.id, programID: item.program?.id, at: Date()))
            }
            let finished = rows, now = request.application.clock.now()
            try await db.writeTransaction { db in
                for row in finished { try await row.create(on: db) }
                try await ApplicationFlow.markChangedForStaff(draft, now: now, on: db)
            }
        } catch {
            for key in stored { try? await store.delete(key: key) }
            throw error
        }
        if responding {
            return request.redirect(to: SiteURL.respond.path() + "?uploaded=\(accepted.count)#\(item.key)", redirectType: .normal)
        }
        let after = try await DocumentChecklist.load(for: draft, on: db)
        if after.isComplete {
            draft.furthestStep = draft.graph.completing(.documents).furthest
            try await draft.save(on: db)
        }
        let suffix = receiver.fields["return_to"] == "review" ? "&return=review" : ""
        return request.redirect(to: SiteURL.documents.path() + "?uploaded=\(accepted.count)\(suffix)#\(item.key)", redirectType: .normal)
    }

    /// The files whose content passes the checks (P6: size, not empty, a type libmagic
    /// recognises as allowed, not truncated), each with its detected type and with its
    /// metadata removed (`MetadataStripper`); the first problem is added to `errors` under
    /// `field`.
    static func vet(_ files: [UploadReceiver.ReceivedFile], field: String, request: Request, errors: inout FormErrors)
        -> [(UploadReceiver.ReceivedFile, String)]
    {
        let maxBytes = request.application.settings.uploads.maxFileBytes
        var accepted: [(UploadReceiver.ReceivedFile, String)] = []
        for file in files where errors.isEmpty {
            let name = displayName(file.originalName)
            if file.tooLarge {
                errors.add(field, "documents.error.too_large", [name, "\(maxBytes / 1_048_576)"])
            } else if file.size == 0 {
                errors.add(field, "documents.error.empty", [name])
            } else {
                let type = request.application.magic.mimeType(of: file.sample)
                if DocumentRules.allowed[type] == nil {
                    errors.add(field, "documents.error.type", [name])
                    request.logger.info("upload rejected", metadata: ["reason": "type", "detected": "\(type)"])
                } else if !DocumentRules.looksComplete(type: type, file: file.temporary, size: file.size) {
                    errors.add(field, "documents.error.damaged", [name])
                    request.logger.info("upload rejected", metadata: ["reason": "incomplete", "detected": "\(type)"])
                } else if let cleaned = withoutMetadata(file, type: type) {
                    accepted.append((cleaned, type))
                } else {
                    errors.add(field, "documents.error.damaged", [name])
                    request.logger.info("upload rejected", metadata: ["reason": "structure", "detected": "\(type)"])
                }
            }
        }
        return accepted
    }

    /// The file with its photo metadata removed, in place, with the size and SHA-256 of the
    /// bytes that will be stored; nil when its structure is broken.
    static func withoutMetadata(_ file: UploadReceiver.ReceivedFile, type: String) -> UploadReceiver.ReceivedFile? {
        guard MetadataStripper.handled.contains(type) else { return file }
        let cleaned = file.temporary.appendingPathExtension("clean")
        do {
            try MetadataStripper.strip(type: type, source: file.temporary, destination: cleaned)
            try FileManager.default.removeItem(at: file.temporary)
            try FileManager.default.moveItem(at: cleaned, to: file.temporary)
            var result = file
            result.hasher = SHA256()
            result.size = 0
            let reader = try FileHandle(forReadingFrom: file.temporary)
            defer { try? reader.close() }
            while let chunk = try reader.read(upToCount: 64 * 1024), !chunk.isEmpty {
                result.hasher.update(data: chunk)
                result.size += chunk.count
            }
            return result
        } catch {
            Logger(label: "getyour.uploads").info(
                "metadata removal failed", metadata: ["error": "\(String(reflecting: Swift.type(of: error)))"])
            try? FileManager.default.removeItem(at: cleaned)
            return nil
        }
    }

    /// Removes an upload: any file of the draft; while answering a request for information,
    /// only a file not yet checked by staff.
    func delete(_ request: Request) async throws -> Response {
        guard let target = try await request.flow.uploadTarget(), target.status == .needsInfo || target.graph.isReachable(.documents),
            let id = request.parameters.get("id").flatMap(UUID.init(uuidString:)),
            let document = try await Document.query(on: request.db(.primary))
                .filter(\.$id == id).filter(\.$application.$id == target.requireID()).first(),
            target.status == .draft || document.reviewState == .pending
        else { throw Abort(.notFound) }
        let now = request.application.clock.now()
        try await request.db(.primary).writeTransaction { db in
            try await document.delete(on: db)
            try await ApplicationFlow.markChangedForStaff(target, now: now, on: db)
        }
        do {
            try await request.application.documentStore.delete(key: document.storageKey)
        } catch {
            // The row is gone, so the resident no longer sees or sends the file; the stored
            // copy is left for the operator (its key is in the log, nothing else).
            request.logger.error("a removed document's file could not be deleted", metadata: ["storage_key": .string(document.storageKey)])
        }
        return request.redirect(to: target.status == .draft ? SiteURL.documents.path() : SiteURL.respond.path(), redirectType: .normal)
    }

    /// The page an upload error is shown on: the documents step, or the response page.
    private func renderFor(_ request: Request, _ application: ApplicationRecord, _ errors: FormErrors) async throws -> Response {
        if application.status == .needsInfo {
            return try await RespondController().render(request, application, errors, typed: nil, status: .unprocessableEntity)
        }
        return try await render(request, application, errors, status: .unprocessableEntity)
    }

    /// `/documents/{id}`: only the household that uploaded a file may see it (404 for
    /// anyone else), with the detected type, `nosniff` and a sandboxing CSP (P6).
    func view(_ request: Request) async throws -> Response {
        let household = try await request.flow.household()
        guard let id = request.parameters.get("id").flatMap(UUID.init(uuidString:)),
            let document = try await Document.query(on: request.db(.primary))
                .join(ApplicationRecord.self, on: \Document.$application.$id == \ApplicationRecord.$id)
                .filter(ApplicationRecord.self, \.$household.$id == household.requireID())
                .filter(\.$id == id).first()
        else { throw Abort(.notFound) }
        return try await Self.serve(document, on: request)
    }

    static func serve(_ document: Document, on request: Request) async throws -> Response {
        // Removed from the store under the retention policy: only its record is left.
        guard document.purgedAt == nil else { throw Abort(.notFound) }
        let response = try await request.application.documentStore.response(for: document.storageKey, on: request)
        let ext = DocumentRules.allowed[document.mimeType] ?? "bin"
        response.headers.replaceOrAdd(name: .contentType, value: document.mimeType)
        response.headers.replaceOrAdd(
            name: .contentDisposition, value: "inline; filename=\"document-\(document.id!.uuidString.prefix(8).lowercased()).\(ext)\"")
        response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        response.headers.replaceOrAdd(
            name: "Content-Security-Policy",
            value: "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'")
        response.headers.replaceOrAdd(name: .cacheControl, value: "private, no-store")
        return response
    }

    static func randomKey() -> String {
        (0..<32).map { _ in UInt8.random(in: .min ... .max) }.hexString
    }

    /// The file name as shown back to its owner: no folders, no control characters.
    static func displayName(_ name: String) -> String {
        let last = name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? name
        let clean = last.filter { !$0.isNewline && ($0.asciiValue ?? 32) >= 32 }
        return clean.isEmpty ? "file" : clean
    }

    private func title(_ item: DocumentChecklist.Item, _ request: Request) -> String {
        item.title(request.application.messages, request.language)
    }

    private func render(
        _ request: Request, _ draft: ApplicationRecord, _ errors: FormErrors, notice: String? = nil, status: HTTPResponseStatus
    ) async throws -> Response {
        let checklist = try await DocumentChecklist.load(for: draft, on: request.db(.primary))
        let m = errors.resolved(request)
        let now = request.today
        func row(_ document: Document) -> FileRow {
            FileRow(
                id: document.id!.uuidString, name: document.originalName,
                typeLabel: (DocumentRules.allowed[document.mimeType] ?? "").uppercased(),
                size: ByteCountFormatter.string(fromByteCount: Int64(document.byteSize), countStyle: .file),
                viewURL: SiteURL.document.path(document.id!.uuidString), deleteURL: SiteURL.documentDelete.path(document.id!.uuidString))
        }
        let items = checklist.items.map { item -> ItemRow in
            let hint: String
            if let member = item.member {
                let adult = CalendarDate(member.birthdate).map { $0.age(on: now) >= BirthdateRule.adultAge } ?? true
                hint = adult ? "documents.hint_adult" : "documents.hint_child"
            } else {
                hint = "documents.hint_program"
            }
            let detail = item.program.map { $0.document(request.language) }
            return ItemRow(
                key: item.key, title: title(item, request) + (detail.map { " — \($0)" } ?? ""), hintKey: hint, done: item.isDone,
                files: item.documents.map(row), hasFiles: !item.documents.isEmpty, carried: item.carried.map(row),
                hasCarried: !item.carried.isEmpty, uploadURL: SiteURL.documentUpload.path(item.key),
                error: m["files-" + item.key], fieldID: "field-files-" + item.key.replacingOccurrences(of: "_", with: "-"))
        }
        let dropped = request.browserSession[ProgramsStepController.noLongerNeededKey]
        if dropped != nil { request.browserSession[ProgramsStepController.noLongerNeededKey] = nil }
        let page = Page(
            header: StepHeader(
                request, step: .documents, titleKey: "documents.title", errors: errors, returnToReview: request.returnsToReview),
            notice: notice, noLongerNeededNames: dropped, items: items, leftovers: checklist.noLongerNeeded.map(row),
            hasLeftovers: !checklist.noLongerNeeded.isEmpty,
            allowedTypes: "PDF, JPEG, PNG, HEIC, WebP",
            maxMB: request.application.settings.uploads.maxFileBytes / 1_048_576,
            maxFiles: request.application.settings.uploads.maxFilesPerItem)
        return try await request.renderStep("application/documents", page).response(status, for: request)
    }
}

extension Document {
    /// A new file waiting for review, from an upload that passed the content checks (`vet`).
    convenience init(
        _ file: UploadReceiver.ReceivedFile, type: String, storageKey: String, applicationID: UUID, purpose: Purpose, memberID: UUID?,
        programID: UUID?, at time: Date
    ) {
        self.init()
        self.$application.id = applicationID
        self.purpose = purpose
        self.$member.id = memberID
        self.$program.id = programID
        self.storageKey = storageKey
        self.mimeType = type
        self.byteSize = file.size
        self.sha256 = file.hasher.finalize().hexString
        self.originalName = String(DocumentsController.displayName(file.originalName).prefix(255))
        self.uploadedAt = time
        self.reviewState = .pending
    }
}

extension Response {
    /// Asks the browser to open a new connection for its next request when the upload was
    /// answered before all of it was read (a file over the limit): the unread rest must not
    /// be taken for the next request.
    func closing(if unread: Bool) -> Response {
        if unread { headers.replaceOrAdd(name: .connection, value: "close") }
        return self
    }
}
