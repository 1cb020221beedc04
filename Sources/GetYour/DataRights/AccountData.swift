import Fluent
import Foundation
import Vapor
import ZIPFoundation

/// What the service holds about one resident (P10 "download my data", issue 14): everything
/// `/settings/export` and `getyour export-user` put in the zip's `data.json`, and the list of
/// the person's uploaded files with the readable names they get in the zip.
///
/// Read from the person's own household only. Staff notes are left out: they are the city's
/// working notes about the case (P2), not something the resident gave or was sent.
struct AccountData: Encodable {
    struct Account: Encodable {
        let email: String
        let firstName: String
        let lastName: String
        let phone: String
        let language: String
        let textMessages: Bool
        let createdAt: Date?
        let emailConfirmedAt: Date?
    }

    struct AddressData: Encodable {
        let street: String
        let unit: String
        let city: String
        let state: String
        let zip: String
        let verified: Bool
    }

    struct Member: Encodable {
        let firstName: String
        let lastName: String
        let birthdate: String
        let isApplicant: Bool
    }

    struct Message: Encodable {
        let kind: String
        let from: String
        let body: String
        let at: Date
    }

    struct DocumentData: Encodable {
        /// The file's path inside the zip; nil when the retention policy removed it.
        let file: String?
        let purgedAt: Date?
        let originalName: String
        let purpose: String
        let forMember: String?
        let forProgram: String?
        let mimeType: String
        let byteSize: Int
        let sha256: String
        let uploadedAt: Date
        let reviewState: String
        let reviewReason: String?
    }

    struct ApplicationData: Encodable {
        let reference: String?
        let kind: String
        let status: String
        let startedAt: Date?
        let submittedAt: Date?
        let verifiedAt: Date?
        let decidedAt: Date?
        let homeAddress: AddressData?
        let mailingAddress: AddressData?
        let rentOrOwn: String?
        let timeAtAddress: String?
        let members: [Member]
        let eligibilityPrograms: [String]
        let noEligibilityPrograms: Bool
        let changedSections: [String]?
        let staffMessage: String?
        let messages: [Message]
        let documents: [DocumentData]
    }

    struct EnrollmentData: Encodable {
        let program: String
        let status: String
        let appliedAt: Date
        let enrolledAt: Date?
        let expiresAt: Date?
        let declineReason: String?
        let endReason: String?
        let endedAt: Date?
    }

    /// A message the service sent: what and how, never its text or the address it went to.
    struct Notification: Encodable {
        let kind: String
        let channel: String
        let status: String
        let queuedAt: Date
        let sentAt: Date?
    }

    /// The household's named contact (P14).
    struct NamedContact: Encodable {
        let name: String
        let email: String
        let phone: String
        let relationship: String
        let receives: String
        let updatedAt: Date
    }

    let exportedAt: Date
    let account: Account
    let namedContact: NamedContact?
    let applications: [ApplicationData]
    let enrollments: [EnrollmentData]
    let notifications: [Notification]

    /// A stored file and where it goes in the zip.
    struct File: Sendable {
        let storageKey: String
        let path: String
    }

    /// The data and the files of `user`'s household.
    static func collect(for user: User, now: Date, on db: any Database) async throws -> (AccountData, [File]) {
        let userID = try user.requireID()
        let household = try await Household.query(on: db).filter(\.$user.$id == userID).first()
        let householdID = try household?.requireID()
        let applications =
            householdID == nil
            ? []
            : try await ApplicationRecord.query(on: db).filter(\.$household.$id == householdID!).sort(\.$startedAt).all()
        let applicationIDs = try applications.map { try $0.requireID() }
        let addressIDs = Set(applications.flatMap { [$0.$eligibilityAddress.id, $0.$mailingAddress.id] }.compactMap { $0 })
        let addresses = try await Address.query(on: db).filter(\.$id ~~ addressIDs).all()
            .reduce(into: [UUID: Address]()) { $0[$1.id!] = $1 }
        let members = try await HouseholdMember.query(on: db).filter(\.$application.$id ~~ applicationIDs).sort(\.$createdAt).all()
        let selections = try await ApplicationEligibilityProgram.query(on: db).filter(\.$application.$id ~~ applicationIDs)
            .with(\.$program).all()
        let messages = try await ApplicationMessage.query(on: db).filter(\.$application.$id ~~ applicationIDs).sort(\.$createdAt).all()
        let documents = try await Document.query(on: db).filter(\.$application.$id ~~ applicationIDs).with(\.$program)
            .sort(\.$uploadedAt).all()
        let enrollments =
            householdID == nil
            ? [] : try await Enrollment.query(on: db).filter(\.$household.$id == householdID!).with(\.$program).all()
        let contact = householdID == nil ? nil : try await HouseholdContact.of(household: householdID!, on: db)
        var notifications = try await OutboxMessage.query(on: db).filter(\.$userID == userID).all()
        if let householdID {
            notifications += try await OutboxMessage.query(on: db).filter(\.$householdID == householdID).filter(\.$userID == nil).all()
        }

        func address(_ id: UUID?) -> AddressData? {
            guard let id, let found = addresses[id] else { return nil }
            return AddressData(
                street: found.street, unit: found.unit, city: found.city, state: found.state, zip: found.zip, verified: found.verified)
        }
        let memberNames = members.reduce(into: [UUID: String]()) { $0[$1.id!] = "\($1.firstName) \($1.lastName)" }
        var files: [File] = []
        var used = Set<String>()
        let exported = try applications.map { application -> ApplicationData in
            let id = try application.requireID()
            let folder = "documents/" + Self.safe(application.reference ?? "application-\(application.kind.rawValue)-\(files.count + 1)")
            let docs = documents.filter { $0.$application.id == id }.map { document -> DocumentData in
                let who = document.$member.id.flatMap { memberNames[$0] } ?? document.program?.slug ?? document.purpose.rawValue
                var path = "\(folder)/\(Self.safe(who))-\(Self.safe(document.originalName))"
                var counter = 2
                while used.contains(path) {
                    path = "\(folder)/\(Self.safe(who))-\(counter)-\(Self.safe(document.originalName))"
                    counter += 1
                }
                used.insert(path)
                if document.purgedAt == nil { files.append(File(storageKey: document.storageKey, path: path)) }
                return DocumentData(
                    file: document.purgedAt == nil ? path : nil, purgedAt: document.purgedAt, originalName: document.originalName,
                    purpose: document.purpose.rawValue,
                    forMember: document.$member.id.flatMap { memberNames[$0] }, forProgram: document.program?.slug,
                    mimeType: document.mimeType, byteSize: document.byteSize, sha256: document.sha256, uploadedAt: document.uploadedAt,
                    reviewState: document.reviewState.rawValue, reviewReason: document.reviewReason)
            }
            return ApplicationData(
                reference: application.reference, kind: application.kind.rawValue, status: application.status.rawValue,
                startedAt: application.startedAt, submittedAt: application.submittedAt, verifiedAt: application.verifiedAt,
                decidedAt: application.decidedAt, homeAddress: address(application.$eligibilityAddress.id),
                mailingAddress: address(application.$mailingAddress.id), rentOrOwn: application.rentOwn?.rawValue,
                timeAtAddress: application.duration?.rawValue,
                members: members.filter { $0.$application.id == id }.map {
                    Member(firstName: $0.firstName, lastName: $0.lastName, birthdate: $0.birthdate, isApplicant: $0.isApplicant)
                },
                eligibilityPrograms: selections.filter { $0.$application.id == id }.map(\.program.slug).sorted(),
                noEligibilityPrograms: application.noPrograms, changedSections: application.changedSections,
                staffMessage: application.statusMessage,
                messages: messages.filter { $0.$application.id == id }.map {
                    Message(
                        kind: $0.kind.rawValue, from: $0.authorRole == "resident" ? "you" : "city staff", body: $0.body, at: $0.createdAt)
                },
                documents: docs)
        }
        let data = AccountData(
            exportedAt: now,
            account: Account(
                email: user.email, firstName: user.firstName, lastName: user.lastName, phone: user.phone,
                language: user.language, textMessages: !user.smsOptOut, createdAt: user.createdAt,
                emailConfirmedAt: user.emailConfirmedAt),
            namedContact: contact.map {
                NamedContact(
                    name: $0.name, email: $0.email, phone: $0.phone, relationship: $0.relationship, receives: $0.receives.rawValue,
                    updatedAt: $0.updatedAt)
            },
            applications: exported,
            enrollments: enrollments.sorted { $0.appliedAt < $1.appliedAt }.map {
                EnrollmentData(
                    program: $0.program.slug, status: $0.status.rawValue, appliedAt: $0.appliedAt, enrolledAt: $0.enrolledAt,
                    expiresAt: $0.expiresAt, declineReason: $0.declineReason, endReason: $0.endReason, endedAt: $0.endedAt)
            },
            notifications: notifications.sorted { $0.createdAt < $1.createdAt }.map {
                Notification(
                    kind: $0.kind.rawValue, channel: $0.channel.rawValue, status: $0.status.rawValue, queuedAt: $0.createdAt,
                    sentAt: $0.sentAt)
            })
        return (data, files)
    }

    /// A name that is safe in a zip on every system: letters, digits, dots, dashes.
    static func safe(_ name: String) -> String {
        let mapped = name.folding(options: [.diacriticInsensitive], locale: nil).map { character -> Character in
            character.isASCII && (character.isLetter || character.isNumber || character == "." || character == "-") ? character : "_"
        }
        let trimmed = String(mapped).trimmingCharacters(in: CharacterSet(charactersIn: "._"))
        return trimmed.isEmpty ? "file" : String(trimmed.prefix(80))
    }

    /// Writes `data.json` and every file into a new zip at `destination`: each file is copied
    /// from the store in chunks, so memory stays flat whatever the documents weigh.
    static func writeZip(for user: User, app: Application, to destination: URL) async throws {
        let (data, files) = try await collect(for: user, now: app.clock.now(), on: app.db(.primary))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let json = try encoder.encode(data)
        let archive = try Archive(url: destination, accessMode: .create)
        try archive.addEntry(
            with: "data.json", type: .file, uncompressedSize: Int64(json.count), compressionMethod: .deflate
        ) { position, size in
            json.subdata(in: Int(position)..<Int(position) + size)
        }
        for file in files {
            try await app.documentStore.withLocalFile(key: file.storageKey) { url in
                try archive.addEntry(with: file.path, fileURL: url, compressionMethod: .none)
            }
        }
    }
}
