import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import GetYour

@Suite("Admins manage staff accounts (P1, P7, issue 11)")
struct StaffManagementTests {
    @Test func anAdminInvitesAColleagueWhoSetsAPasswordFromTheEmail() async throws {
        try await TestApp.run { app in
            let admin = try await signedInAdmin(app)
            try await admin.get("/staff/admin/staff")
            let missing = try await admin.post(
                "/staff/admin/staff",
                [("email", "Coord@City.example"), ("first_name", "Cora"), ("last_name", "Diaz"), ("role", "coordinator")])
            #expect(missing.status == .unprocessableEntity)
            #expect(missing.text.contains("Choose at least one program for a coordinator"))
            #expect(missing.text.contains("value=\"Coord@City.example\""))
            let invited = try await admin.post(
                "/staff/admin/staff",
                [
                    ("email", "Coord@City.example"), ("first_name", "Cora"), ("last_name", "Diaz"), ("role", "coordinator"),
                    ("programs", "recreation"),
                ])
            #expect(invited.headers.first(name: .location) == "/staff/admin/staff?invited=1")
            let user = try #require(try await User.find(email: "coord@city.example", on: app.db(.primary)))
            #expect(user.role == .coordinator && user.passwordHash.hasPrefix("!"))
            let scopes = try await StaffProgramScope.query(on: app.db(.primary)).filter(\.$user.$id == user.requireID()).all()
            #expect(scopes.map(\.programSlug) == ["recreation"])
            #expect(try await AuditEvent.query(on: app.db(.primary)).filter(\.$action == "staff.invited").count() == 1)
            let link = try #require(try await app.lastLink(to: "coord@city.example"))
            let colleague = Browser(app)
            try await colleague.get(link)
            let set = try await colleague.post(
                link, [("password", "copper lantern willow"), ("password_confirmation", "copper lantern willow")])
            #expect(set.headers.first(name: .location) == "/login?password_set=1")
            // The same address twice is refused with a message.
            let again = try await admin.post(
                "/staff/admin/staff", [("email", "coord@city.example"), ("first_name", "C"), ("last_name", "D"), ("role", "verifier")])
            #expect(again.status == .unprocessableEntity && again.text.contains("An account with this email already exists"))
        }
    }

    @Test func rolesProgramsAndDeactivationChangeWithTheirRules() async throws {
        try await TestApp.run { app in
            let admin = try await signedInAdmin(app)
            let me = try #require(try await User.find(email: "admin@city.example", on: app.db(.primary)))
            let verifier = try await makeStaff(app, role: .verifier, email: "verifier@city.example")
            let colleague = Browser(app)
            try await colleague.signInStaff(email: "verifier@city.example")
            let path = "/staff/admin/staff/\(try verifier.requireID().uuidString.lowercased())"

            let page = try await admin.get(path)
            #expect(page.status == .ok && page.text.contains("verifier@city.example"))
            let toCoordinator = try await admin.post(path, [("role", "coordinator"), ("programs", "grocery"), ("active", "yes")])
            #expect(toCoordinator.headers.first(name: .location) == "/staff/admin/staff?changed=1")
            #expect(try await User.find(verifier.id, on: app.db(.primary))?.role == .coordinator)
            #expect(try await StaffProgramScope.query(on: app.db(.primary)).filter(\.$user.$id == verifier.requireID()).count() == 1)

            // Deactivated: signed out at once, and cannot sign in again.
            try await admin.get(path)
            let off = try await admin.post(path, [("role", "coordinator"), ("programs", "grocery"), ("active", "no")])
            #expect(off.status == .seeOther)
            #expect(try await colleague.get("/staff").status != .ok)
            #expect(try await AuditEvent.query(on: app.db(.primary)).filter(\.$action == "staff.deactivated").count() == 1)

            // Nobody changes their own role; the last active admin stays.
            let mine = "/staff/admin/staff/\(try me.requireID().uuidString.lowercased())"
            try await admin.get(mine)
            let own = try await admin.post(mine, [("role", "verifier"), ("active", "yes")])
            #expect(own.status == .unprocessableEntity && own.text.contains("You cannot change your own role"))
            let other = try await makeStaff(app, role: .admin, email: "second.admin@city.example")
            other.archived = true
            try await other.update(on: app.db(.primary))
            let second = Browser(app)
            try await makeStaff(app, role: .admin, email: "third.admin@city.example")
            try await second.signInStaff(email: "third.admin@city.example")
            // Two active admins: one may demote the other; then the last one may not be removed.
            let firstPath = mine
            try await second.get(firstPath)
            #expect(try await second.post(firstPath, [("role", "verifier"), ("active", "yes")]).status == .seeOther)
            let thirdUser = try #require(try await User.find(email: "third.admin@city.example", on: app.db(.primary)))
            #expect(try await User.query(on: app.db(.primary)).filter(\.$role == .admin).filter(\.$archived == false).count() == 1)
            _ = thirdUser
            #expect(try await admin.get("/staff/admin/staff").status == .forbidden)  // no longer an admin
        }
    }
}

@Suite("Coverage exceptions (P5, P7, P13 continued)")
struct CoverageExceptionTests {
    @Test func anAdminGrantsACoverageFlagWithAReasonOthersCannot() async throws {
        try await TestApp.run { app in
            let scene = try await StaffScene.make(app)
            let path = scene.householdURL + "/coverage"
            try await scene.staff.get(scene.householdURL)
            // A verifier sees no form and is refused.
            #expect(!scene.staff.lastPage.contains("Coverage exception (admins)"))
            #expect(try await scene.staff.post(path, [("flag", "city_covered"), ("reason", "x")]).status == .forbidden)

            try await makeStaff(app, role: .admin, email: "admin@city.example")
            let admin = Browser(app)
            try await admin.signInStaff(email: "admin@city.example")
            let page = try await admin.get(scene.householdURL)
            #expect(page.text.contains("Coverage exception (admins)"))
            let missing = try await admin.post(path, [("flag", "no_such_flag"), ("reason", " ")])
            #expect(missing.status == .unprocessableEntity)
            #expect(missing.text.contains("Choose what the address counts as") && missing.text.contains("Write why the exception is right"))
            let saved = try await admin.post(path, [("flag", "city_covered"), ("reason", "New building, not in the GIS layer yet.")])
            #expect(saved.headers.first(name: .location) == scene.householdURL + "?done=coverage")
            let application = try await scene.reload(app)
            let address = try #require(try await Address.find(application.$eligibilityAddress.id, on: app.db(.primary)))
            #expect(address.coverageExceptions == ["city_covered"])
            let after = try await admin.get(scene.householdURL)
            #expect(after.text.contains("city utilities (exception)"))
            #expect(after.text.contains("Coverage exception added: city utilities. Reason: New building, not in the GIS layer yet."))
            let audit = try await AuditEvent.query(on: app.db(.primary)).filter(\.$action == "household.coverage_exception").all()
            #expect(audit.count == 1 && audit.first?.householdID == application.$household.id)

            // And taken away again, with a note.
            #expect(after.text.contains("Remove the exception: city utilities"))
            let removed = try await admin.post(path, [("flag", "city_covered"), ("remove", "yes")])
            #expect(removed.headers.first(name: .location) == scene.householdURL + "?done=coverage_removed")
            #expect(try await Address.find(address.id, on: app.db(.primary))?.coverageExceptions == [])
            #expect(try await admin.get(scene.householdURL).text.contains("Coverage exception removed: city utilities."))
        }
    }
}

@Suite("Admins close and reopen residents' accounts (P7, issue 11)")
struct ResidentAccountTests {
    @Test func aClosedAccountIsSignedOutCannotSignInAndCanBeReopened() async throws {
        try await TestApp.run { app in
            let scene = try await StaffScene.make(app)
            let path = scene.householdURL + "/account"
            try await scene.staff.get(scene.householdURL)
            #expect(try await scene.staff.post(path, [("archived", "yes")]).status == .forbidden)  // verifiers may not

            try await makeStaff(app, role: .admin, email: "admin@city.example")
            let admin = Browser(app)
            try await admin.signInStaff(email: "admin@city.example")
            try await admin.get(scene.householdURL)
            let closed = try await admin.post(path, [("archived", "yes")])
            #expect(closed.headers.first(name: .location) == scene.householdURL + "?done=archived")
            #expect(try await scene.resident.get("/dashboard").status != .ok)  // signed out at once
            let again = try await Browser(app).signIn(email: "maria.lopez@example.com", password: "amber kettle meadow stone")
            #expect(again.status == .forbidden && again.text.contains("This account has been closed"))
            #expect(again.text.contains("getyour@city.example"))
            #expect(try await admin.get(scene.householdURL).text.contains("This account is closed"))

            try await admin.post(path, [("archived", "no")])
            let back = try await Browser(app).signIn(email: "maria.lopez@example.com", password: "amber kettle meadow stone")
            #expect(back.status == .seeOther)
            let actions = try await AuditEvent.query(on: app.db(.primary)).filter(\.$action ~~ ["account.archived", "account.restored"])
                .all()
            #expect(actions.count == 2)
        }
    }
}

@Suite("Admins look up an address's coverage again (P5, issue 11)")
struct CoverageRefreshTests {
    @Test func theLookupRunsAgainAndKeepsExceptions() async throws {
        try await TestApp.run { app in
            let scene = try await StaffScene.make(app)
            let application = try await scene.reload(app)
            let address = try #require(try await Address.find(application.$eligibilityAddress.id, on: app.db(.primary)))
            let original = address.coverage
            #expect(!original.isEmpty)
            // As if the coverage layer had missed the address when the resident applied.
            address.coverage = []
            address.coverageExceptions = ["city_covered"]
            try await address.update(on: app.db(.primary))
            try await makeStaff(app, role: .admin, email: "admin@city.example")
            let admin = Browser(app)
            try await admin.signInStaff(email: "admin@city.example")
            try await admin.get(scene.householdURL)
            let done = try await admin.post(scene.householdURL + "/coverage/refresh")
            #expect(done.headers.first(name: .location) == scene.householdURL + "?done=coverage_refreshed")
            let after = try #require(try await Address.find(address.id, on: app.db(.primary)))
            #expect(after.coverage == original && after.coverageExceptions == ["city_covered"])
            #expect(try await AuditEvent.query(on: app.db(.primary)).filter(\.$action == "household.coverage_refreshed").count() == 1)
            try await scene.staff.get(scene.householdURL)
            #expect(try await scene.staff.post(scene.householdURL + "/coverage/refresh").status == .forbidden)
        }
    }
}
