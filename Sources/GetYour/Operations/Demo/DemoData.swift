import Eligibility
import Fluent
import Foundation
import SQLKit
import Vapor

/// `getyour seed --demo` (issue 13): residents in every state of the lifecycle and one staff
/// account per role, for UAT testers on `stage` and for demonstrations. Refused in
/// `production`.
///
/// Residents fill in their applications through the real pages (`LocalBrowser`); staff and
/// coordinator decisions go through the same decision code the staff pages call, as the
/// demo admin. Only two things are not done the way a person would: accounts are made
/// directly with a confirmed email (so no mail has to be opened), and, for the renewal
/// states, the dates of a finished verification are moved back so that its enrollments
/// expire soon or expired a while ago. The expiry itself is then done by the real renewal job.
///
/// Each account is made once: an account whose email exists already is left alone, so
/// running it twice changes nothing. Passwords are random and printed once, on creation.
enum DemoData {
    enum Refusal: Error, CustomStringConvertible {
        case production
        case failed(account: String, reason: String)

        var description: String {
            switch self {
            case .production: "seed --demo is refused in production: demo accounts with printed passwords must never exist there"
            case .failed(let account, let reason): "the demo account \(account) could not be completed: \(reason)"
            }
        }
    }

    /// Where a demo resident's application is left.
    enum State: Sendable, Equatable {
        case draft(stoppedAt: Step)
        case submitted, needsInformation, verified, denied, renewalDue, renewalInProgress, expired

        var label: String {
            switch self {
            case .draft(.address): "signed up; application not started (the address step is next)"
            case .draft(let step): "draft, stopped at the \(step.rawValue) step"
            case .submitted: "submitted, waiting for staff"
            case .needsInformation: "needs information (staff asked for a document)"
            case .verified: "verified, enrolled in one program, waiting for others"
            case .denied: "denied, with a reason"
            case .renewalDue: "verified; enrollments expire in 45 days (renewal open, reminders due)"
            case .renewalInProgress: "renewal started, not yet submitted"
            case .expired: "enrollments ended 45 days ago (renewal not done)"
            }
        }
    }

    struct Resident: Sendable {
        let handle: String
        let firstName: String
        let lastName: String
        let language: Language
        let state: State
        /// The address, from `settings/addresses.csv` (all inside the service area).
        let street: String
        let unit: String
        let zip: String
    }

    static let residents: [Resident] = [
        Resident(
            handle: "draft-address", firstName: "Ada", lastName: "Draft", language: .en, state: .draft(stoppedAt: .address),
            street: "300 Civic Center Dr", unit: "", zip: "80521"),
        Resident(
            handle: "draft-household", firstName: "Hugo", lastName: "Draft", language: .en, state: .draft(stoppedAt: .household),
            street: "215 N Mesa Verde St", unit: "Apt 2B", zip: "80524"),
        Resident(
            handle: "draft-members", firstName: "Mina", lastName: "Draft", language: .en, state: .draft(stoppedAt: .members),
            street: "1335 Harvest Moon St", unit: "Unit 7", zip: "80528"),
        Resident(
            handle: "draft-programs", firstName: "Pablo", lastName: "Borrador", language: .es, state: .draft(stoppedAt: .programs),
            street: "4256 Cottonwood Ave", unit: "", zip: "80524"),
        Resident(
            handle: "draft-documents", firstName: "Dora", lastName: "Draft", language: .en, state: .draft(stoppedAt: .documents),
            street: "4614 Larkspur Ln", unit: "", zip: "80528"),
        Resident(
            handle: "draft-review", firstName: "Rita", lastName: "Draft", language: .en, state: .draft(stoppedAt: .review),
            street: "4827 Cottonwood Ave", unit: "", zip: "80524"),
        Resident(
            handle: "submitted", firstName: "Sam", lastName: "Submitted", language: .en, state: .submitted,
            street: "3533 Willowbrook Dr", unit: "Unit 3", zip: "80524"),
        Resident(
            handle: "enviada", firstName: "Sofía", lastName: "Enviada", language: .es, state: .submitted,
            street: "300 Civic Center Dr", unit: "", zip: "80521"),
        Resident(
            handle: "needs-info", firstName: "Nadia", lastName: "Needsinfo", language: .en, state: .needsInformation,
            street: "215 N Mesa Verde St", unit: "Apt 2B", zip: "80524"),
        Resident(
            handle: "verified", firstName: "Victor", lastName: "Verified", language: .en, state: .verified,
            street: "1335 Harvest Moon St", unit: "Unit 7", zip: "80528"),
        Resident(
            handle: "denied", firstName: "Dana", lastName: "Denied", language: .en, state: .denied,
            street: "4256 Cottonwood Ave", unit: "", zip: "80524"),
        Resident(
            handle: "renewal-due", firstName: "Renee", lastName: "Renewal", language: .en, state: .renewalDue,
            street: "4614 Larkspur Ln", unit: "", zip: "80528"),
        Resident(
            handle: "renewal-started", firstName: "Ramón", lastName: "Renovación", language: .es, state: .renewalInProgress,
            street: "4827 Cottonwood Ave", unit: "", zip: "80524"),
        Resident(
            handle: "expired", firstName: "Elsa", lastName: "Expired", language: .en, state: .expired,
            street: "3533 Willowbrook Dr", unit: "Unit 3", zip: "80524"),
    ]

    struct StaffAccount: Sendable {
        let handle: String
        let role: User.Role
        let programs: [String]
    }

    static let staff: [StaffAccount] = [
        StaffAccount(handle: "verifier", role: .verifier, programs: []),
        StaffAccount(handle: "coordinator", role: .coordinator, programs: ["recreation", "grocery"]),
        StaffAccount(handle: "admin", role: .admin, programs: []),
    ]

    /// One line of the table `seed --demo` prints.
    struct Row: Sendable {
        let email: String
        let role: String
        let state: String
        /// The password when the account was made now; nil when it existed already.
        let password: String?
    }

    static func email(_ handle: String, domain: String) -> String { "demo-\(handle)@\(domain)" }

    static func seed(_ app: Application, emailDomain: String) async throws -> [Row] {
        guard app.settings.environment != .production else { throw Refusal.production }
        var rows: [Row] = []
        let db = app.db(.primary)
        var admin: User?
        for account in staff {
            let email = email(account.handle, domain: emailDomain)
            if let existing = try await User.find(email: email, on: db) {
                if account.role == .admin { admin = existing }
                rows.append(Row(email: email, role: account.role.rawValue, state: scopeLabel(account), password: nil))
                continue
            }
            let password = try await newPassword(app, email: email, names: ["Demo", account.role.rawValue])
            let user = User(
                email: email, passwordHash: try await app.accounts.hasher.hash(password), firstName: "Demo",
                lastName: account.role.rawValue.capitalized, phone: "", language: .en, role: account.role)
            user.emailConfirmedAt = app.clock.now()
            try await db.writeTransaction { db in
                try await user.create(on: db)
                for slug in account.programs {
                    try await StaffProgramScope(userID: try user.requireID(), programSlug: slug).create(on: db)
                }
            }
            if account.role == .admin { admin = user }
            rows.append(Row(email: email, role: account.role.rawValue, state: scopeLabel(account), password: password))
        }
        guard let admin else { throw Refusal.failed(account: "admin", reason: "no admin account") }

        var needsJobs = false
        for resident in residents {
            let email = email(resident.handle, domain: emailDomain)
            if try await User.find(email: email, on: db) != nil {
                rows.append(Row(email: email, role: "resident", state: resident.state.label, password: nil))
                continue
            }
            let password = try await newPassword(app, email: email, names: [resident.firstName, resident.lastName])
            do {
                try await make(resident, email: email, password: password, admin: admin, app: app)
            } catch {
                throw Refusal.failed(account: email, reason: String(describing: error))
            }
            if resident.state == .expired { needsJobs = true }
            rows.append(Row(email: email, role: "resident", state: resident.state.label, password: password))
        }
        // The expired household's enrollments end through the real job (with its notice).
        if needsJobs { _ = try await RenewalJobs.run(app) }
        return rows
    }

    private static func scopeLabel(_ account: StaffAccount) -> String {
        switch account.role {
        case .verifier: "verification staff (sets up an authenticator at first sign-in)"
        case .coordinator: "coordinator of \(account.programs.joined(separator: ", ")) (authenticator at first sign-in)"
        case .admin: "platform admin (authenticator at first sign-in)"
        case .resident: "resident"
        }
    }

    /// Four random words and a number: long, easy to type on a phone, and checked against
    /// the same rules as any password.
    static func newPassword(_ app: Application, email: String, names: [String]) async throws -> String {
        let words = [
            "amber", "birch", "canyon", "cedar", "comet", "copper", "delta", "ember", "fable", "fern", "garnet", "harbor", "hazel",
            "indigo", "juniper", "kettle", "lantern", "lilac", "maple", "meadow", "mesa", "nectar", "oak", "orbit", "pebble",
            "pine", "prairie", "quartz", "raven", "river", "saffron", "sage", "spruce", "summit", "thistle", "timber", "topaz",
            "tulip", "velvet", "willow", "yarrow", "zephyr",
        ]
        while true {
            var generator = SystemRandomNumberGenerator()
            let picked = (0..<4).map { _ in words.randomElement(using: &generator)! }
            let password = picked.joined(separator: "-") + "-" + String(Int.random(in: 10...99, using: &generator))
            if app.accounts.rules.problem(with: password, email: email, names: names) == nil { return password }
        }
    }

    // MARK: - One resident

    private static func make(_ resident: Resident, email: String, password: String, admin: User, app: Application) async throws {
        let db = app.db(.primary)
        let user = User(
            email: email, passwordHash: try await app.accounts.hasher.hash(password), firstName: resident.firstName,
            lastName: resident.lastName,
            phone: "(970) 555-01\(String(format: "%02d", 10 + (residents.firstIndex { $0.handle == resident.handle } ?? 0)))",
            language: resident.language, role: .resident)
        user.emailConfirmedAt = app.clock.now()
        try await user.create(on: db)

        let browser = LocalBrowser(app)
        try await browser.get("/login")
        try browser.expectRedirect(try await browser.post("/login", [("email", email), ("password", password)]), "POST", "/login")
        try await browser.get("/apply/get-ready")
        if resident.state == .draft(stoppedAt: .address) { return }
        try await answerAddress(resident, browser)
        if resident.state == .draft(stoppedAt: .household) { return }
        try await browser.get("/apply/household")
        try browser.expectRedirect(
            try await browser.post("/apply/household", [("rent_own", "rent"), ("duration", "1_to_3")]), "POST", "/apply/household")
        if resident.state == .draft(stoppedAt: .members) { return }
        try await answerMembers(resident, browser)
        if resident.state == .draft(stoppedAt: .programs) { return }
        try await browser.get("/apply/programs")
        try browser.expectRedirect(try await browser.post("/apply/programs", [("programs", "snap")]), "POST", "/apply/programs")
        if resident.state == .draft(stoppedAt: .documents) { return }
        try await uploadEverything(browser)
        if resident.state == .draft(stoppedAt: .review) { return }
        try await browser.get("/apply/review")
        try browser.expectRedirect(try await browser.post("/apply/submit", [("declaration", "yes")]), "POST", "/apply/submit")
        if resident.state == .submitted { return }

        let householdID = try await Household.query(on: db).filter(\.$user.$id == user.requireID()).first()!.requireID()
        let staff = StaffDecisions(request: staffRequest(app, admin))
        var application = try await latestApplication(householdID, on: db)
        switch resident.state {
        case .needsInformation:
            let checklist = try await DocumentChecklist.load(for: application, on: db)
            try await staff.requestInformation(
                application.requireID(), revision: application.revision, items: Array(checklist.items.prefix(1).map(\.key)),
                message: "Demo: the photo of your ID is blurry. Please upload a clearer one.")
            return
        case .denied:
            try await staff.deny(
                application.requireID(), revision: application.revision,
                reason: "Demo: the benefit letter is for a different household.")
            return
        default:
            break
        }
        try await staff.verify(application.requireID(), revision: application.revision)
        // Enroll in the first program the household applied to; the others keep waiting.
        let applied = try await Enrollment.query(on: db).filter(\.$household.$id == householdID).filter(\.$status == .applied)
            .with(\.$program).all().sorted { $0.program.sort < $1.program.sort }
        let toEnroll = resident.state == .verified ? Array(applied.prefix(1)) : applied
        for enrollment in toEnroll {
            try await ProgramDecisions(request: staffRequest(app, admin))
                .decide(.enroll, program: enrollment.program, households: [householdID], reason: nil)
        }
        switch resident.state {
        case .renewalDue, .renewalInProgress:
            try await moveVerification(of: householdID, expiringIn: 45, app: app)
        case .expired:
            try await moveVerification(of: householdID, expiringIn: -45, app: app)
        default:
            break
        }
        if resident.state == .renewalInProgress {
            application = try await RenewalStart.start(householdID: householdID, on: db)
            _ = application
        }
    }

    private static func answerAddress(_ resident: Resident, _ browser: LocalBrowser) async throws {
        try await browser.get("/apply/address")
        let answer = try await browser.post(
            "/apply/address",
            [
                ("street", resident.street), ("unit", resident.unit), ("city", "Fort Collins"), ("state", "CO"), ("zip", resident.zip),
                ("mailing_same", "yes"),
            ])
        try browser.expectRedirect(answer, "POST", "/apply/address")
        guard answer.location?.hasPrefix("/apply/address/confirm") == true else { return }
        // A verifier that suggests a slightly different address (or none, e.g. the real USPS
        // service on stage): take the suggestion, else keep the address as typed.
        let confirm = try await browser.get("/apply/address/confirm")
        let choice = confirm.text.contains("value=\"suggested\"") ? "suggested" : "as_entered"
        try browser.expectRedirect(try await browser.post("/apply/address/confirm", [("choice", choice)]), "POST", "/apply/address/confirm")
    }

    private static func answerMembers(_ resident: Resident, _ browser: LocalBrowser) async throws {
        let members = try await browser.get("/apply/members").text
        guard let link = members.range(of: "href=\"/apply/members/") else {
            throw LocalBrowser.Failure.unexpected(method: "GET", path: "/apply/members", status: .ok)
        }
        let applicantPath = "/apply/members/" + members[link.upperBound...].prefix(36)
        try await browser.get(applicantPath)
        try browser.expectRedirect(
            try await browser.post(
                applicantPath, [("first_name", resident.firstName), ("last_name", resident.lastName), ("birthdate", "1984-03-12")]),
            "POST", applicantPath)
        try await browser.get("/apply/members/new")
        try browser.expectRedirect(
            try await browser.post(
                "/apply/members/new", [("first_name", "Lee"), ("last_name", resident.lastName), ("birthdate", "2014-09-02")]),
            "POST", "/apply/members/new")
        try await browser.get("/apply/members")
        try browser.expectRedirect(try await browser.post("/apply/members"), "POST", "/apply/members")
    }

    private static func uploadEverything(_ browser: LocalBrowser) async throws {
        let page = try await browser.get("/apply/documents").text
        let items = page.matches(of: #/action="/apply/documents/((?:member|program)-[a-z0-9_-]+)"/#).map { String($0.output.1) }
        for item in items {
            try await browser.get("/apply/documents")
            let what = item.hasPrefix("member") ? "photo ID" : "benefit letter"
            try browser.expectRedirect(
                try await browser.upload(
                    "/apply/documents/\(item)", filename: "demo-\(item.hasPrefix("member") ? "id" : "letter").pdf",
                    type: "application/pdf", data: demoPDF(title: "DEMO \(what) - not a real document")),
                "POST", "/apply/documents/\(item)")
        }
        try await browser.get("/apply/documents")
        try browser.expectRedirect(try await browser.post("/apply/documents"), "POST", "/apply/documents")
    }

    private static func latestApplication(_ householdID: UUID, on db: any Database) async throws -> ApplicationRecord {
        guard
            let application = try await ApplicationRecord.query(on: db).filter(\.$household.$id == householdID)
                .sort(\.$startedAt, .descending).first()
        else { throw Refusal.failed(account: householdID.uuidString, reason: "no application") }
        return application
    }

    /// A request acting as the demo admin, for the decision code staff pages call.
    private static func staffRequest(_ app: Application, _ admin: User) -> Request {
        let request = Request(application: app, method: .POST, url: URI(path: "/demo"), on: app.eventLoopGroup.next())
        request.storage[CurrentUserKey.self] = admin
        return request
    }

    /// Moves a finished verification back in time so that its enrollments expire
    /// `days` from now (negative: expired that long ago). Everything else about it stays.
    private static func moveVerification(of householdID: UUID, expiringIn days: Int, app: Application) async throws {
        let db = app.db(.primary)
        let enrollments = try await Enrollment.query(on: db).filter(\.$household.$id == householdID).filter(\.$status == .enrolled).all()
        guard let expiry = enrollments.compactMap(\.expiresAt).min() else { return }
        let target = app.clock.now().addingTimeInterval(Double(days) * 86_400)
        let shift = target.timeIntervalSince(expiry)
        try await db.writeTransaction { db in
            for enrollment in enrollments {
                enrollment.expiresAt = enrollment.expiresAt?.addingTimeInterval(shift)
                enrollment.enrolledAt = enrollment.enrolledAt?.addingTimeInterval(shift)
                enrollment.decidedAt = enrollment.decidedAt?.addingTimeInterval(shift)
                try await enrollment.update(on: db)
            }
            for application in try await ApplicationRecord.query(on: db).filter(\.$household.$id == householdID).all() {
                application.submittedAt = application.submittedAt?.addingTimeInterval(shift)
                application.verifiedAt = application.verifiedAt?.addingTimeInterval(shift)
                application.decidedAt = application.decidedAt?.addingTimeInterval(shift)
                try await application.update(on: db)
            }
        }
    }

    /// A one-page PDF saying what it stands for, with a correct cross-reference table.
    static func demoPDF(title: String) -> Data {
        let text = title.replacingOccurrences(of: "(", with: "").replacingOccurrences(of: ")", with: "")
        let content = "BT /F1 20 Tf 72 720 Td (\(text)) Tj ET"
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            "<< /Length \(content.utf8.count) >>\nstream\n\(content)\nendstream",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
        var pdf = "%PDF-1.4\n"
        var offsets: [Int] = []
        for (index, object) in objects.enumerated() {
            offsets.append(pdf.utf8.count)
            pdf += "\(index + 1) 0 obj\n\(object)\nendobj\n"
        }
        let xref = pdf.utf8.count
        pdf += "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n"
        for offset in offsets { pdf += String(format: "%010d 00000 n \n", offset) }
        pdf += "trailer\n<< /Size \(objects.count + 1) /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n"
        return Data(pdf.utf8)
    }
}
