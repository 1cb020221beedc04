import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import GetYour

@Suite("Admins manage programs; seed keeps their edits (P2, P7, issue 11)")
struct ProgramAdministrationTests {
    /// The recreation program's form as the edit page fills it, with `changes` applied.
    func recreationForm(_ changes: [String: String] = [:], requires: [String] = ["in_service_area"]) -> [(String, String)] {
        var fields: [String: String] = [
            "name_en": "Recreation Reduced Fee", "name_es": "Tarifa reducida de recreación", "category_en": "Recreation",
            "category_es": "Recreación", "description_en": "Reduced fees for classes and passes.", "description_es": "",
            "ceiling": "40", "renewal_years": "1", "auto_apply": "yes", "active": "yes", "sort": "2", "learn_more_url": "",
            "external_form_url": "", "review_period_en": "", "review_period_es": "",
        ]
        fields.merge(changes) { _, new in new }
        return fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } + requires.map { ("requires", $0) }
    }

    func actions(_ app: Application, _ action: String) async throws -> [AuditEvent] {
        try await AuditEvent.query(on: app.db(.primary)).filter(\.$action == action).all()
    }

    @Test func onlyAdminsReachProgramAdministration() async throws {
        try await TestApp.run { app in
            try await makeStaff(app, role: .verifier, email: "verifier@city.example")
            let coordinator = try await makeStaff(app, role: .coordinator, email: "coord@city.example")
            try await StaffProgramScope(userID: try coordinator.requireID(), programSlug: "recreation").create(on: app.db(.primary))
            for email in ["verifier@city.example", "coord@city.example"] {
                let staff = Browser(app)
                try await staff.signInStaff(email: email)
                #expect(try await staff.get("/staff/admin/programs").status == .forbidden)
                #expect(try await staff.get("/staff/admin/programs/benefit/recreation").status == .forbidden)
                try await staff.get("/staff")
                let post = try await staff.post("/staff/admin/programs/benefit/recreation", recreationForm(["ceiling": "90"]))
                #expect(post.status == .forbidden)
            }
            #expect(try await BenefitProgram.query(on: app.db(.primary)).filter(\.$slug == "recreation").first()?.ceiling == 40)
        }
    }

    @Test func anAdminChangesAProgramAndResidentsSeeItAtOnce() async throws {
        try await TestApp.run { app in
            let admin = try await signedInAdmin(app)
            let list = try await admin.get("/staff/admin/programs")
            #expect(list.status == .ok && list.text.contains("Recreation Reduced Fee") && list.text.contains("SNAP"))
            let form = try await admin.get("/staff/admin/programs/benefit/recreation")
            #expect(form.status == .ok && form.text.contains("value=\"Recreation Reduced Fee\""))

            // Bad input: each field says what is wrong, and what was typed stays.
            let bad = try await admin.post(
                "/staff/admin/programs/benefit/recreation",
                recreationForm(
                    [
                        "name_en": "  ", "ceiling": "forty", "renewal_years": "11", "learn_more_url": "javascript:alert(1)",
                        "name_es": "Nombre nuevo",
                    ], requires: ["moon_base"]))
            #expect(bad.status == .unprocessableEntity)
            for message in [
                "Enter this text", "Enter a whole number from 1 to 200", "Enter a whole number of years from 0 to 10",
                "Enter a full web address starting with https://", "Choose from the listed coverage kinds",
            ] {
                #expect(bad.text.contains(message), "\(message)")
            }
            #expect(bad.text.contains("value=\"Nombre nuevo\"") && bad.text.contains("value=\"forty\""))
            #expect(try await actions(app, "program.changed").isEmpty)

            let saved = try await admin.post(
                "/staff/admin/programs/benefit/recreation",
                recreationForm(
                    [
                        "name_en": "Recreation Discount", "ceiling": "50", "renewal_years": "2",
                        "learn_more_url": "https://www.fcgov.com/recreation",
                    ], requires: []))
            #expect(saved.headers.first(name: .location) == "/staff/admin/programs?saved=1")
            let program = try #require(try await BenefitProgram.query(on: app.db(.primary)).filter(\.$slug == "recreation").first())
            #expect(program.nameEN == "Recreation Discount" && program.ceiling == 50 && program.renewalYears == 2)
            #expect(program.requires.isEmpty && program.descriptionES == nil)
            #expect(try await Browser(app).get("/programs").text.contains("Recreation Discount"))
            let audit = try await actions(app, "program.changed")
            #expect(audit.count == 1 && audit.first?.programSlug == "recreation")

            // Saving the same values again writes and audits nothing.
            try await admin.get("/staff/admin/programs/benefit/recreation")
            let same = try await admin.post(
                "/staff/admin/programs/benefit/recreation",
                recreationForm(
                    [
                        "name_en": "Recreation Discount", "ceiling": "50", "renewal_years": "2",
                        "learn_more_url": "https://www.fcgov.com/recreation",
                    ], requires: []))
            #expect(same.headers.first(name: .location) == "/staff/admin/programs?unchanged=1")
            #expect(try await actions(app, "program.changed").count == 1)

            // Deactivated: gone from residents' pages, still stored, audited as such.
            try await admin.get("/staff/admin/programs/benefit/recreation")
            let off = try await admin.post(
                "/staff/admin/programs/benefit/recreation",
                recreationForm(["name_en": "Recreation Discount", "ceiling": "50", "renewal_years": "2", "active": "no"], requires: []))
            #expect(off.status == .seeOther)
            #expect(!(try await Browser(app).get("/programs").text.contains("Recreation Discount")))
            #expect(try await actions(app, "program.deactivated").count == 1)
            #expect(try await admin.get("/staff/admin/programs").text.contains("Deactivated"))
        }
    }

    @Test func anAdminAddsBenefitAndEligibilityPrograms() async throws {
        try await TestApp.run { app in
            let admin = try await signedInAdmin(app)
            #expect(try await admin.get("/staff/admin/programs/benefit/new").status == .ok)
            var fields = recreationForm(["name_en": "Library Card Plus", "category_en": "Libraries"], requires: [])
            let badSlug = try await admin.post("/staff/admin/programs/benefit/new", fields + [("slug", "Library Card")])
            #expect(badSlug.status == .unprocessableEntity && badSlug.text.contains("Enter a code of lower-case letters"))
            let taken = try await admin.post("/staff/admin/programs/benefit/new", fields + [("slug", "recreation")])
            #expect(taken.status == .unprocessableEntity && taken.text.contains("A program with that code already exists"))
            fields.append(("slug", "library_card"))
            let created = try await admin.post("/staff/admin/programs/benefit/new", fields)
            #expect(created.headers.first(name: .location) == "/staff/admin/programs?created=1")
            #expect(try await Browser(app).get("/programs").text.contains("Library Card Plus"))
            #expect(try await actions(app, "program.created").first?.programSlug == "library_card")
            // A coordinator can now be given the new program.
            #expect(try await admin.get("/staff/admin/staff").text.contains("Library Card Plus"))

            try await admin.get("/staff/admin/programs/eligibility/new")
            let eligibility: [(String, String)] = [
                ("slug", "wic"), ("name_en", "WIC"), ("name_es", "WIC"), ("document_en", "Your WIC approval letter"),
                ("document_es", ""), ("ami_level", "0.4"), ("active", "yes"), ("sort", "6"),
            ]
            let badLevel = try await admin.post("/staff/admin/programs/eligibility/new", eligibility)
            #expect(badLevel.status == .unprocessableEntity && badLevel.text.contains("Enter a whole number from 1 to 200"))
            let added = try await admin.post(
                "/staff/admin/programs/eligibility/new", eligibility.map { $0.0 == "ami_level" ? ($0.0, "40") : $0 })
            #expect(added.status == .seeOther)
            let wic = try #require(try await EligibilityProgram.query(on: app.db(.primary)).filter(\.$slug == "wic").first())
            #expect(wic.amiLevel == 40 && wic.documentES == nil && wic.active)
            #expect(try await actions(app, "eligibility_program.created").count == 1)
            // Residents choose it on the programs step.
            let resident = Browser(app)
            try await resident.signUp()
            let step = try await resident.get("/apply/get-ready")
            #expect(step.text.contains("WIC"))
        }
    }

    @Test func seedKeepsAdminEditsUnlessReset() async throws {
        try await TestApp.run { app in
            let admin = try await signedInAdmin(app)
            try await admin.get("/staff/admin/programs/benefit/recreation")
            try await admin.post("/staff/admin/programs/benefit/recreation", recreationForm(["ceiling": "55"]))
            try await admin.get("/staff/admin/programs/eligibility/snap")
            try await admin.post(
                "/staff/admin/programs/eligibility/snap",
                [
                    ("name_en", "SNAP food help"), ("name_es", ""), ("document_en", "EBT card"), ("document_es", ""),
                    ("ami_level", "35"), ("active", "yes"), ("sort", "1"),
                ])
            try await BenefitProgram.query(on: app.db(.primary)).filter(\.$slug == "transit").delete()

            let summary = try await app.seedReferenceData()
            #expect(summary == "Reference data loaded: 1 created, 8 already present and kept as they are (--reset overwrites them).")
            let recreation = try #require(try await BenefitProgram.query(on: app.db(.primary)).filter(\.$slug == "recreation").first())
            #expect(recreation.ceiling == 55)
            #expect(try await EligibilityProgram.query(on: app.db(.primary)).filter(\.$slug == "snap").first()?.nameEN == "SNAP food help")
            #expect(try await BenefitProgram.query(on: app.db(.primary)).filter(\.$slug == "transit").count() == 1)
            #expect(try await actions(app, "reference_data.reset").isEmpty)

            try await runCommand(app, "seed", "--reset")
            #expect(try await BenefitProgram.query(on: app.db(.primary)).filter(\.$slug == "recreation").first()?.ceiling == 40)
            #expect(try await EligibilityProgram.query(on: app.db(.primary)).filter(\.$slug == "snap").first()?.amiLevel == 30)
            let reset = try await actions(app, "reference_data.reset")
            #expect(reset.count == 1 && reset.first?.actorID == "operator")
        }
    }
}

@Suite("Program form rules (issue 11)")
struct ProgramRulesTests {
    @Test(arguments: [
        ("recreation", true), ("library_card2", true), ("a", true), ("Recreation", false), ("2fast", false), ("_x", false),
        ("with space", false), ("ñandu", false), ("", false), (String(repeating: "a", count: 41), false),
    ])
    func slugs(text: String, valid: Bool) {
        #expect(ProgramRules.isSlug(text) == valid)
    }

    @Test(arguments: [
        ("https://www.fcgov.com/recreation", true), ("http://example.org/x?y=1", true), ("javascript:alert(1)", false),
        ("www.fcgov.com", false), ("https://localhost", false), ("https://a b.example", false), ("ftp://example.org", false),
    ])
    func links(text: String, valid: Bool) {
        #expect(ProgramRules.isLink(text) == valid)
    }

    @Test(
        arguments: [("30", 30), (" 60 ", 60), ("1", 1), ("200", 200), ("0", nil), ("201", nil), ("0.3", nil), ("", nil)] as [(String, Int?)]
    )
    func percentages(text: String, value: Int?) {
        #expect(ProgramRules.percent(text) == value)
    }

    @Test func anEligibilityProgramNeedsItsProofTextAndLevelButNoBenefitFields() {
        var form = ProgramForm()
        form.slug = "wic"
        form.name_en = "WIC"
        form.active = "yes"
        form.sort = "6"
        var errors = ProgramRules.check(form, kind: .eligibility, creating: true, knownFlags: [])
        #expect(errors.has("document_en") && errors.has("ami_level") && !errors.has("ceiling") && !errors.has("category_en"))
        form.document_en = "Your WIC letter"
        form.ami_level = "40"
        errors = ProgramRules.check(form, kind: .eligibility, creating: true, knownFlags: [])
        #expect(errors.isEmpty)
        // The slug is checked only when creating: an existing program keeps its own.
        form.slug = "Not A Slug"
        #expect(ProgramRules.check(form, kind: .eligibility, creating: false, knownFlags: []).isEmpty)
        #expect(ProgramRules.check(form, kind: .eligibility, creating: true, knownFlags: []).has("slug"))
    }
}
