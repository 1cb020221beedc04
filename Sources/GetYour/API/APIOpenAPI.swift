import Foundation
import Vapor

/// `GET /api/v1/openapi.json`: the OpenAPI 3.1 description of the partner API, written here
/// beside the routes it describes. A test checks that every `/api/v1` route is in it and that
/// every path in it answers.
enum APIOpenAPI {
    static func document(serverURL: String) -> [String: Any] {
        let error: [String: Any] = ["$ref": "#/components/responses/Error"]
        func errors(_ codes: [String]) -> [String: Any] { Dictionary(uniqueKeysWithValues: codes.map { ($0, error) }) }
        let bearer: [[String: [String]]] = [["bearer": []]]
        let date: [String: Any] = ["type": ["string", "null"], "format": "date-time"]
        let uuid: [String: Any] = ["type": "string", "format": "uuid"]
        let address: [String: Any] = [
            "type": ["object", "null"], "required": ["street", "unit", "city", "state", "zip"],
            "properties": [
                "street": ["type": "string"], "unit": ["type": "string"], "city": ["type": "string"], "state": ["type": "string"],
                "zip": ["type": "string"],
            ],
        ]
        let enrollment: [String: Any] = [
            "type": "object",
            "required": ["id", "household_id", "status", "applied_at", "changed_at", "changed", "resident"],
            "properties": [
                "id": uuid, "household_id": uuid,
                "status": ["type": "string", "enum": ["applied", "enrolled", "declined", "expired", "withdrawn"]],
                "applied_at": ["type": "string", "format": "date-time"], "decided_at": date, "enrolled_at": date, "expires_at": date,
                "changed_at": ["type": "string", "format": "date-time"], "changed": ["type": "boolean"],
                "resident": [
                    "type": "object", "required": ["first_name", "last_name", "email", "language"],
                    "properties": [
                        "first_name": ["type": "string"], "last_name": ["type": "string"], "email": ["type": "string"],
                        "phone": ["type": ["string", "null"]], "language": ["type": "string", "enum": ["en", "es"]],
                        "mailing_address": address,
                    ],
                ] as [String: Any],
                "application_reference": ["type": ["string", "null"], "description": "admin tokens only"],
                "verified_at": ["type": ["string", "null"], "format": "date-time", "description": "admin tokens only"],
            ] as [String: Any],
        ]
        let slug: [String: Any] = ["name": "slug", "in": "path", "required": true, "schema": ["type": "string"]]
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "Get-Your partner API", "version": "1",
                "description": "For the departments that run the city's benefit programs. See ref/api.md.",
            ],
            "servers": [["url": serverURL]],
            "components": [
                "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer", "bearerFormat": "JWT"]],
                "schemas": [
                    "Error": [
                        "type": "object", "required": ["code", "message", "request_id"],
                        "properties": [
                            "code": ["type": "string", "enum": APIError.Code.allCases.map(\.rawValue)], "message": ["type": "string"],
                            "request_id": ["type": "string"],
                        ],
                    ] as [String: Any],
                    "Enrollment": enrollment,
                ],
                "responses": [
                    "Error": [
                        "description": "An error, with a stable code",
                        "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]],
                    ]
                ],
            ] as [String: Any],
            "paths": [
                "/api/v1/programs/{slug}/enrollments": [
                    "get": [
                        "summary": "Verified households that applied to a program", "security": bearer,
                        "parameters": [
                            slug,
                            [
                                "name": "status", "in": "query",
                                "schema": ["type": "string", "enum": ["applied", "enrolled", "declined", "expired", "withdrawn"]],
                            ],
                            ["name": "changed_since", "in": "query", "schema": ["type": "string", "format": "date-time"]],
                            ["name": "cursor", "in": "query", "schema": ["type": "string", "format": "uuid"]],
                            ["name": "limit", "in": "query", "schema": ["type": "integer", "minimum": 1, "maximum": 500]],
                        ] as [[String: Any]],
                        "responses": [
                            "200": [
                                "description": "One page",
                                "content": [
                                    "application/json": [
                                        "schema": [
                                            "type": "object", "required": ["program", "enrollments", "next_cursor"],
                                            "properties": [
                                                "program": ["type": "string"],
                                                "enrollments": ["type": "array", "items": ["$ref": "#/components/schemas/Enrollment"]],
                                                "next_cursor": ["type": ["string", "null"]],
                                            ] as [String: Any],
                                        ] as [String: Any]
                                    ]
                                ],
                            ] as [String: Any]
                        ].merging(errors(["400", "401", "403", "404", "500"])) { a, _ in a },
                    ] as [String: Any]
                ],
                "/api/v1/programs/{slug}/enrollments/{id}": [
                    "post": [
                        "summary": "Enroll or decline a household (idempotent with Idempotency-Key)", "security": bearer,
                        "parameters": [
                            slug, ["name": "id", "in": "path", "required": true, "schema": uuid],
                            ["name": "Idempotency-Key", "in": "header", "schema": ["type": "string", "minLength": 1, "maxLength": 200]],
                        ] as [[String: Any]],
                        "requestBody": [
                            "required": true,
                            "content": [
                                "application/json": [
                                    "schema": [
                                        "type": "object", "required": ["status"],
                                        "properties": [
                                            "status": ["type": "string", "enum": ["enrolled", "declined"]],
                                            "reason": ["type": "string", "maxLength": 2000, "description": "required to decline"],
                                        ] as [String: Any],
                                    ] as [String: Any]
                                ]
                            ],
                        ] as [String: Any],
                        "responses": [
                            "200": [
                                "description": "The enrollment as decided",
                                "content": [
                                    "application/json": [
                                        "schema": [
                                            "type": "object", "required": ["id", "household_id", "status"],
                                            "properties": [
                                                "id": uuid, "household_id": uuid, "status": ["type": "string"], "decided_at": date,
                                                "enrolled_at": date, "expires_at": date, "decline_reason": ["type": ["string", "null"]],
                                            ] as [String: Any],
                                        ] as [String: Any]
                                    ]
                                ],
                            ] as [String: Any]
                        ].merging(errors(["400", "401", "403", "404", "409", "500"])) { a, _ in a },
                    ] as [String: Any]
                ],
                "/api/v1/households/{id}/contact": [
                    "get": [
                        "summary": "The household's named contact", "security": bearer,
                        "parameters": [["name": "id", "in": "path", "required": true, "schema": uuid]] as [[String: Any]],
                        "responses": [
                            "200": [
                                "description": "The named contact, or null",
                                "content": [
                                    "application/json": [
                                        "schema": [
                                            "type": "object", "required": ["household_id", "contact"],
                                            "properties": [
                                                "household_id": uuid,
                                                "contact": [
                                                    "type": ["object", "null"], "required": ["name", "relationship", "receives"],
                                                    "properties": [
                                                        "name": ["type": "string"], "email": ["type": ["string", "null"]],
                                                        "phone": ["type": ["string", "null"]], "relationship": ["type": "string"],
                                                        "receives": ["type": "string", "enum": ["copy", "instead", "none"]],
                                                    ] as [String: Any],
                                                ] as [String: Any],
                                            ] as [String: Any],
                                        ] as [String: Any]
                                    ]
                                ],
                            ] as [String: Any]
                        ].merging(errors(["401", "403", "404", "500"])) { a, _ in a },
                    ] as [String: Any]
                ],
                "/api/v1/openapi.json": [
                    "get": [
                        "summary": "This document",
                        "responses": [
                            "200": ["description": "OpenAPI 3.1", "content": ["application/json": ["schema": ["type": "object"]]]]
                        ],
                    ] as [String: Any]
                ],
            ] as [String: Any],
        ]
    }

    static func serve(_ request: Request) throws -> Response {
        let data = try JSONSerialization.data(
            withJSONObject: document(serverURL: request.application.settings.publicBaseURL), options: [.sortedKeys])
        return Response(status: .ok, headers: ["Content-Type": "application/json; charset=utf-8"], body: .init(data: data))
    }
}
