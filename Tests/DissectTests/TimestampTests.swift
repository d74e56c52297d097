import Dissect
import Testing

/// Capture times as RFC 3339 UTC with nanoseconds, as the JSON prints them. Expected values from Python's
/// `datetime` (proleptic Gregorian, UTC).
@Suite struct TimestampTests {
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000000000Z"),
        (1, "1970-01-01T00:00:00.000000001Z"),
        (999_999_999, "1970-01-01T00:00:00.999999999Z"),
        (951_782_400_000_000_123, "2000-02-29T00:00:00.000000123Z"),
        (1_709_164_800_042_000_000, "2024-02-29T00:00:00.042000000Z"),
        (1_795_632_329_652_123_456, "2026-11-25T18:45:29.652123456Z"),
        (4_102_444_799_999_999_999, "2099-12-31T23:59:59.999999999Z"),
        (-1, "1969-12-31T23:59:59.999999999Z"),
        (-86_399_999_999_995, "1969-12-31T00:00:00.000000005Z"),
    ])
    func rfc3339(nanoseconds: Int64, expected: String) {
        #expect(Timestamp(nanoseconds: nanoseconds).rfc3339 == expected)
    }

    /// Int64 nanoseconds reach from 1677 to 2262: both ends print four-digit years.
    @Test func theEndsOfTheRange() {
        #expect(Timestamp(nanoseconds: .min).rfc3339 == "1677-09-21T00:12:43.145224192Z")
        #expect(Timestamp(nanoseconds: .max).rfc3339 == "2262-04-11T23:47:16.854775807Z")
    }
}
