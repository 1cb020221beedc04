import Fluent
import Foundation
import Vapor

/// Invented households for measuring the staff pages at scale (issue 9, `scripts/bench`):
/// a resident, a household and a submitted (or later) application each, written in batches.
/// They share one invented address and carry no documents on disk. Never in production.
/// With `program`, every household is verified and has applied to that program (issue 11:
/// the coordinator list and its CSV export); of every five, three wait (`applied`), one is
/// enrolled and one declined.
enum SyntheticHouseholds {
    static let statuses: [ApplicationRecord.Status] = [.submitted, .submitted, .submitted, .needsInfo, .verified, .verified, .denied]
    static let enrollmentStatuses: [Enrollment.Status] = [.applied, .applied, .applied, .enrolled, .declined]

    static func create(_ count: Int, program: BenefitProgram? = nil, batch: Int = 500, on db: any Database) async throws {
        let address = try await AddressController.upsert(
            VerifiedAddress(
                street: "1 Synthetic Way", unit: "", city: "Fort Collins", state: "CO", zip: "80521", coverage: ["in_service_area"]),
            verified: true, on: db)
        let start = Date().addingTimeInterval(-Double(count) * 60)
        var made = 0
        while made < count {
            let size = min(batch, count - made)
            var users: [User] = [], households: [Household] = [], applications: [ApplicationRecord] = []
            var enrollments: [Enrollment] = []
            for offset in 0..<size {
                let index = made + offset
                let user = User(
                    email: "synthetic.\(UUID().uuidString.prefix(12).lowercased())@example.invalid", passwordHash: "!synthetic",
                    firstName: "Test\(index)", lastName: "Household", phone: "+19705550100", language: .en, role: .resident)
                user.id = UUID()
                let household = Household(userID: user.id!)
                household.id = UUID()
                let application = ApplicationRecord()
                application.id = UUID()
                application.$household.id = household.id!
                application.kind = index % 10 == 0 ? .renewal : .initial
                application.status = program == nil ? statuses[index % statuses.count] : .verified
                application.furthestStep = .review
                application.reference = "GY-S" + String(format: "%07d", index) + String(UUID().uuidString.prefix(8))
                application.$eligibilityAddress.id = address.id
                application.$mailingAddress.id = address.id
                application.rentOwn = .rent
                application.duration = .oneToThree
                application.noPrograms = false
                application.programsAnswered = true
                application.submittedAt = start.addingTimeInterval(Double(index) * 60)
                application.revision = 0
                application.requestedItems = []
                if application.status == .verified || application.status == .denied { application.decidedAt = application.submittedAt }
                if application.status == .verified { application.verifiedAt = application.submittedAt }
                if let program, let submitted = application.submittedAt {
                    let enrollment = Enrollment(
                        householdID: household.id!, programID: program.id!, applicationID: application.id, now: submitted)
                    enrollment.status = enrollmentStatuses[index % enrollmentStatuses.count]
                    if enrollment.status != .applied { enrollment.decidedAt = submitted }
                    if enrollment.status == .enrolled { enrollment.enrolledAt = submitted }
                    if enrollment.status == .declined { enrollment.declineReason = "Synthetic: declined for the benchmark" }
                    enrollments.append(enrollment)
                }
                household.currentApplicationID = application.id
                users.append(user)
                households.append(household)
                applications.append(application)
            }
            let (u, h, a, e) = (users, households, applications, enrollments)
            try await db.writeTransaction { db in
                try await u.create(on: db)
                try await h.create(on: db)
                try await a.create(on: db)
                if !e.isEmpty { try await e.create(on: db) }
            }
            made += size
        }
    }
}

/// `getyour synthetic --households N`: fills a test or bench database with invented
/// households (refused in production).
struct SyntheticCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "households", help: "How many invented households to add (default 1000)") var households: Int?
        @Option(name: "program", help: "Make every household verified and applied to this benefit program (its slug)")
        var program: String?
    }

    var help: String { "Adds invented households for load tests and benchmarks (never in production)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        guard app.settings.environment != .production else {
            throw CommandError.invalidArgument("synthetic households are never added to production")
        }
        let count = max(1, min(signature.households ?? 1000, 1_000_000))
        var program: BenefitProgram?
        if let slug = signature.program {
            program = try await BenefitProgram.query(on: app.db(.primary)).filter(\.$slug == slug).first()
            guard program != nil else { throw CommandError.invalidArgument("no benefit program \(slug); run getyour seed first") }
        }
        try await SyntheticHouseholds.create(count, program: program, on: app.db(.primary))
        context.console.print(
            "Added \(count) synthetic households" + (signature.program.map { ", verified and applied to \($0)." } ?? "."))
    }
}
