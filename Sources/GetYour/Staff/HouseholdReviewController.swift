import Eligibility
import Fluent
import SQLKit
import Vapor

/// `/staff/households/{id}` (P7, issue 9): everything a verifier needs about one household on
/// one page — account, addresses with their verification and coverage, household facts,
/// members with ages, eligibility programs and the income level they imply, the document
/// checklist with an inline viewer, earlier applications, enrollments, notes, the message
/// thread and the household's audit trail — and the forms for every decision. A fixed number
/// of queries per load; every view is audited.
struct HouseholdReviewController {
    struct FileView: Encodable {
        let id: String
        let name: String
        let typeLabel: String
        let size: String
        let url: String
        let isImage: Bool
        let isPDF: Bool
        let stateKey: String
        let reason: String?
        let reviewURL: String
        /// Admins, while the application is with staff: replace the file for the resident.
        let replaceURL: String?
        let replaceError: String?
        /// A renewal: accepted on the renewed application, linked (no review needed again).
        let carried: Bool
        /// The day the retention policy removed the file, if it did.
        let purgedOn: String?
    }

    struct ItemView: Encodable {
        let key: String
        let title: String
        let files: [FileView]
        let hasFiles: Bool
        let requested: Bool
    }

    struct AddressView: Encodable {
        let lines: [String]
        let verifiedKey: String
        let coverage: String
        /// Exceptions an admin granted, each with its label (for the remove buttons).
        let exceptions: [FormField.Option]
    }

    struct Line: Encodable {
        let label: String
        let value: String
    }

    struct ApplicationLink: Encodable {
        let label: String
        let url: String
        let current: Bool
    }

    /// One line of the audit trail, as read.
    struct TrailRow: Decodable {
        let occurred_at: Date
        let actor_role: String
        let actor_id: String
        let action: String
    }

    struct Entry: Encodable {
        let when: String
        let who: String
        let text: String
    }

    struct Page: Encodable {
        let layout: LayoutContext
        let summary: ErrorSummary
        let notice: String?
        /// P14: the resident changed something since this staff member last opened the page.
        let changedSinceVisit: Bool
        let name: String
        let reference: String
        let statusKey: String
        let kindKey: String
        /// A renewal: what differs from the application it renews, side by side.
        let isRenewal: Bool
        let renewalChanges: [RenewalChanges.Line]
        let hasRenewalChanges: Bool
        /// Staff may start a renewal for the household (nothing under way, something verified).
        let renewalURL: String?
        let readOnly: Bool
        let account: [Line]
        let home: AddressView?
        let mailing: AddressView?
        let facts: [Line]
        let members: [Line]
        let programs: [String]
        let incomeLevel: String
        let items: [ItemView]
        let applications: [ApplicationLink]
        let enrollments: [Line]
        let notes: [Entry]
        let thread: [Entry]
        let audit: [Entry]
        /// The messages sent to the household: kind, channel, status, time (never the text).
        let deliveries: [DeliveryRow]
        let hasDeliveries: Bool
        let revision: Int
        let canDecide: Bool
        let mayVerify: Bool
        let verifyURL: String
        let requestInfoURL: String
        let denyURL: String
        let notesURL: String
        let requestItems: FormField
        let requestMessage: FormField
        let denyReason: FormField
        let noteBody: FormField
        /// Admins only (nil otherwise): close or reopen the resident's account.
        let accountURL: String?
        let archived: Bool
        /// Admins only (nil otherwise): the coverage exception form.
        let coverageURL: String?
        let refreshCoverageURL: String?
        let coverageFlag: FormField
        let coverageReason: FormField
        let rejectReasons: [FormField.Option]
        let hasNotes: Bool
        let hasThread: Bool
        /// The person the household named to help it (P14); reading it is audited.
        let namedContact: [Line]?
    }

    func show(_ request: Request) async throws -> Response {
        let notice = (try? request.query.get(String.self, at: "done")).flatMap { Self.notices.contains($0) ? "staff.done.\($0)" : nil }
        return try await render(request, FormErrors(), typed: [:], notice: notice, status: .ok)
    }

    static let notices: Set<String> = [
        "verified", "requested", "denied", "note", "accepted", "rejected", "coverage", "archived", "restored", "replaced",
        "renewal_started",
    ]

    /// The household named in the URL and the application to show (the current one, or
    /// `?application=` for an earlier one of the same household).
    static func load(_ request: Request) async throws -> (Household, User, [ApplicationRecord], ApplicationRecord) {
        let db = request.db(.primary)
        guard let id = request.parameters.get("id").flatMap(UUID.init(uuidString:)),
            let household = try await Household.query(on: db).filter(\.$id == id).with(\.$user).first()
        else { throw Abort(.notFound) }
        let applications = try await ApplicationRecord.query(on: db).filter(\.$household.$id == id).filter(\.$status != .draft)
            .sort(\.$submittedAt).all()
        let wanted = (try? request.query.get(String.self, at: "application")).flatMap(UUID.init(uuidString:))
        guard let shown = wanted.flatMap({ want in applications.first { $0.id == want } }) ?? applications.last else {
            throw Abort(.notFound)
        }
        return (household, household.user, applications, shown)
    }

    /// The page, with `errors` and what was typed when a decision's form was not right.
    func render(_ request: Request, _ errors: FormErrors, typed: [String: String], notice: String? = nil, status: HTTPResponseStatus)
        async throws -> Response
    {
        let db = request.db(.primary), messages = request.application.messages, language = request.language
        let staff = try request.currentUser
        let (household, user, applications, application) = try await Self.load(request)
        let householdID = try household.requireID()
        func t(_ key: String, _ args: [String] = []) -> String { messages.text(key, language, args) }
        let formatter = request.longDateFormatter

        let addressIDs = [application.$eligibilityAddress.id, application.$mailingAddress.id].compactMap { $0 }
        let addresses = try await Address.query(on: db).filter(\.$id ~~ addressIDs).all()
        let checklist = try await DocumentChecklist.load(for: application, on: db)
        let enrollments = try await Enrollment.query(on: db).filter(\.$household.$id == householdID).with(\.$program).all()
        let notes = try await StaffNote.query(on: db).filter(\.$household.$id == householdID).sort(\.$createdAt, .descending).all()
        let thread = try await ApplicationMessage.query(on: db).filter(\.$application.$id == application.requireID()).sort(\.$createdAt)
            .all()
        // The last fifty events through SQLKit: decoding fifty Fluent models cost more than the page.
        let trail = try await (db as! any SQLDatabase).select().columns("occurred_at", "actor_role", "actor_id", "action")
            .from(AuditEvent.schema).where("household_id", .equal, householdID).orderBy("occurred_at", .descending).limit(50)
            .all(decoding: TrailRow.self)
        let deliveries = try await DeliveryRow.forHousehold(householdID, request)
        let contact = try await HouseholdContact.of(household: householdID, on: db)
        let lastVisit = try await (db as! any SQLDatabase).raw(
            "SELECT seen_at FROM staff_visits WHERE staff_id = \(bind: try staff.requireID()) AND household_id = \(bind: householdID)"
        ).first().flatMap { try? $0.decode(column: "seen_at", as: Date.self) }

        func addressView(_ id: UUID?) -> AddressView? {
            guard let id, let address = addresses.first(where: { $0.id == id }) else { return nil }
            let flags =
                address.coverage.map { t("coverage.\($0)") }
                + address.coverageExceptions.map { t("coverage.\($0)") + " (" + t("staff.exception") + ")" }
            return AddressView(
                lines: address.lines, verifiedKey: address.verified ? "staff.address_verified" : "staff.address_as_typed",
                coverage: flags.isEmpty ? t("staff.coverage_none") : flags.joined(separator: ", "),
                exceptions: address.coverageExceptions.map { FormField.Option(value: $0, label: t("coverage.\($0)"), checked: false) })
        }
        let today = request.today
        let members = checklist.members.map { member in
            let age = CalendarDate(member.birthdate).map { t("staff.age", ["\($0.age(on: today))"]) } ?? t("review.not_answered")
            return Line(
                label: member.fullName + (member.isApplicant ? " (" + t("staff.applicant") + ")" : ""),
                value: "\(member.birthdate) — \(age)")
        }
        let level = application.noPrograms ? nil : IncomeLevel.household(selectedProgramLevels: checklist.programs.map(\.level))
        let m = errors.resolved(request)
        let mayReplace =
            staff.role == .admin && application.id == applications.last?.id && [.submitted, .needsInfo].contains(application.status)
        func view(_ document: Document, carried: Bool) -> FileView {
            FileView(
                id: document.id!.uuidString, name: document.originalName,
                typeLabel: (DocumentRules.allowed[document.mimeType] ?? "").uppercased(),
                size: ByteCountFormatter.string(fromByteCount: Int64(document.byteSize), countStyle: .file),
                url: SiteURL.staffDocument.path(document.id!.uuidString),
                isImage: document.mimeType.hasPrefix("image/") && document.mimeType != "image/heic" && document.mimeType != "image/heif",
                isPDF: document.mimeType == "application/pdf",
                stateKey: carried ? "staff.document.carried" : "staff.document.\(document.reviewState.rawValue)",
                reason: document.rejectionText(messages, language),
                reviewURL: SiteURL.staffDocumentReview.path(document.id!.uuidString),
                replaceURL: mayReplace && !carried ? SiteURL.staffDocumentReplace.path(document.id!.uuidString) : nil,
                replaceError: m["replace-" + document.id!.uuidString], carried: carried,
                purgedOn: document.purgedAt.map { Request.longDateFormatter(language).string(from: $0) })
        }
        let items = checklist.items.map { item in
            ItemView(
                key: item.key, title: item.title(messages, language),
                files: item.carried.map { view($0, carried: true) } + item.documents.map { view($0, carried: false) },
                hasFiles: item.isDone, requested: application.requestedItems.contains(item.key))
        }
        let isCurrent = application.id == applications.last?.id
        let actor = StaffDecisions.actor(staff.role)
        let canDecide = isCurrent && ApplicationLifecycle.decide(actor, .deny, from: application.status) != nil
        let requestable =
            checklist.items.map { ($0.key, $0.title(messages, language)) }
            + (checklist.item(DocumentChecklist.otherKey) == nil ? [(DocumentChecklist.otherKey, t("documents.other"))] : [])
        let selectedItems = Set((typed["items"] ?? "").split(separator: ",").map(String.init))

        let renewalChanges = try await RenewalChanges.compare(application, on: db, messages: messages, language: language)
        let page = Page(
            layout: request.layout(titleKey: "staff.household_title", hasErrors: !errors.isEmpty),
            summary: ErrorSummary(request, errors), notice: notice,
            changedSinceVisit: lastVisit.map { seen in household.changedAt.map { $0 > seen } ?? false } ?? false,
            name: "\(user.firstName) \(user.lastName)", reference: application.reference ?? "—",
            statusKey: "staff.status.\(application.status.rawValue)", kindKey: "staff.kind.\(application.kind.rawValue)",
            isRenewal: application.kind == .renewal, renewalChanges: renewalChanges, hasRenewalChanges: !renewalChanges.isEmpty,
            renewalURL: ApplicationLifecycle.mayStartApplication(existing: applications.map(\.status))
                && applications.contains { $0.status == .verified } && ApplicationLifecycle.may(actor, .verify)
                ? SiteURL.staffRenewal.path(householdID.uuidString.lowercased()) : nil,
            readOnly: !isCurrent,
            account: [
                Line(label: t("staff.label.email"), value: user.email),
                Line(label: t("staff.label.phone"), value: ContactRules.displayPhone(user.phone)),
                Line(label: t("staff.label.language"), value: t("language.\(user.language)")),
                Line(label: t("staff.submitted_on"), value: application.submittedAt.map(formatter.string(from:)) ?? "—"),
            ],
            home: addressView(application.$eligibilityAddress.id),
            mailing: application.$mailingAddress.id == application.$eligibilityAddress.id
                ? nil : addressView(application.$mailingAddress.id),
            facts: [
                Line(label: t("staff.label.rent_own"), value: application.rentOwn.map { t("household.\($0.rawValue)") } ?? "—"),
                Line(label: t("staff.label.duration"), value: application.duration.map { t("household.\($0.rawValue)") } ?? "—"),
                Line(label: t("staff.household_size"), value: "\(checklist.members.count)"),
            ],
            members: members,
            programs: application.noPrograms ? [t("programs.none")] : checklist.programs.map { $0.name(language) },
            incomeLevel: level.map { t("staff.income_level", [$0.description]) } ?? t("staff.no_income_level"),
            items: items,
            applications: applications.map { earlier in
                ApplicationLink(
                    label:
                        "\(earlier.reference ?? "—") · \(t("staff.kind.\(earlier.kind.rawValue)")) · \(t("staff.status.\(earlier.status.rawValue)"))",
                    url: SiteURL.staffHousehold.path(householdID.uuidString.lowercased())
                        + "?application=\(earlier.id!.uuidString.lowercased())",
                    current: earlier.id == application.id)
            },
            enrollments: enrollments.map { Line(label: $0.program.name(language), value: t("staff.enrollment.\($0.status.rawValue)")) },
            notes: notes.map {
                Entry(when: formatter.string(from: $0.createdAt), who: String($0.authorID.uuidString.prefix(8)), text: $0.body)
            },
            thread: thread.map {
                Entry(
                    when: formatter.string(from: $0.createdAt),
                    who: t($0.authorRole == "resident" ? "staff.from_resident" : "staff.from_staff"), text: $0.body)
            },
            audit: trail.map {
                Entry(
                    when: request.dateTimeFormatter.string(from: $0.occurred_at), who: $0.actor_role + " " + String($0.actor_id.prefix(8)),
                    text: t("audit.\($0.action)"))
            },
            deliveries: deliveries, hasDeliveries: !deliveries.isEmpty,
            revision: application.revision, canDecide: canDecide, mayVerify: ApplicationLifecycle.may(actor, .verify),
            verifyURL: SiteURL.staffVerify.path(application.id!.uuidString),
            requestInfoURL: SiteURL.staffRequestInfo.path(application.id!.uuidString),
            denyURL: SiteURL.staffDeny.path(application.id!.uuidString), notesURL: SiteURL.staffNotes.path(householdID.uuidString),
            requestItems: FormField(
                name: "items", labelKey: "staff.request_items", hintKey: "staff.request_items_hint", error: m["items"],
                options: requestable.map { FormField.Option(value: $0.0, label: $0.1, checked: selectedItems.contains($0.0)) }),
            requestMessage: .textarea(
                "message", label: "staff.request_message", hint: "staff.request_message_hint", value: typed["message"], errors: m),
            denyReason: .textarea("reason", label: "staff.deny_reason", hint: "staff.deny_reason_hint", value: typed["reason"], errors: m),
            noteBody: .textarea("body", label: "staff.note_body", hint: "staff.note_hint", value: typed["body"], errors: m),
            accountURL: staff.role == .admin ? SiteURL.staffAccount.path(householdID.uuidString.lowercased()) : nil,
            archived: user.archived,
            coverageURL: staff.role == .admin && application.$eligibilityAddress.id != nil
                ? SiteURL.staffCoverage.path(householdID.uuidString.lowercased()) : nil,
            refreshCoverageURL: staff.role == .admin && application.$eligibilityAddress.id != nil
                ? SiteURL.staffCoverageRefresh.path(householdID.uuidString.lowercased()) : nil,
            coverageFlag: .choice(
                "flag", label: "staff.coverage_flag",
                options: request.application.messages.coverageFlags.map { ($0, "coverage.\($0)") },
                selected: [typed["flag"] ?? ""], errors: m),
            coverageReason: .textarea(
                "coverage_reason", label: "staff.coverage_reason", hint: "staff.coverage_reason_hint", value: typed["coverage_reason"],
                errors: m),
            rejectReasons: DocumentReview.reasons.map { FormField.Option(value: $0, labelKey: "reject_reason.\($0)", checked: false) },
            hasNotes: !notes.isEmpty, hasThread: !thread.isEmpty,
            namedContact: contact.map { contact in
                [
                    Line(label: t("named_contact.staff_name"), value: contact.name),
                    Line(label: t("named_contact.staff_relationship"), value: contact.relationship),
                    Line(label: t("staff.label.email"), value: contact.email.isEmpty ? "—" : contact.email),
                    Line(label: t("staff.label.phone"), value: contact.phone.isEmpty ? "—" : ContactRules.displayPhone(contact.phone)),
                    Line(label: t("named_contact.staff_receives"), value: t("named_contact.staff_receives_\(contact.receives.rawValue)")),
                ]
            })
        if contact != nil { try await request.audit(.contactViewed, .init(household: householdID)) }
        try await Self.recordVisit(request, householdID: householdID, application: application)
        return try await request.view.render("staff/household", page).response(status, for: request)
    }

    /// The view is audited, and remembered for the "changed since your last visit" marker.
    static func recordVisit(_ request: Request, householdID: UUID, application: ApplicationRecord) async throws {
        let staffID = try request.currentUser.requireID(), now = request.application.clock.now()
        let sql = request.db(.primary) as! any SQLDatabase
        try await sql.raw(
            """
            INSERT INTO staff_visits (staff_id, household_id, seen_at) VALUES (\(bind: staffID), \(bind: householdID), \(bind: now))
            ON CONFLICT (staff_id, household_id) DO UPDATE SET seen_at = excluded.seen_at
            """
        ).run()
        try await request.audit(.householdViewed, .init(household: householdID, application: application.id))
    }
}
