/// A capture timestamp: nanoseconds since the Unix epoch, UTC.
package struct Timestamp: Hashable, Comparable, Sendable {
    package var nanoseconds: Int64

    package init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    package init(seconds: Int64, nanoseconds: Int64) {
        self.nanoseconds = seconds &* 1_000_000_000 &+ nanoseconds
    }

    package static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }

    /// Milliseconds since the epoch, rounded down.
    package var milliseconds: Int64 {
        self.nanoseconds >= 0 ? self.nanoseconds / 1_000_000 : (self.nanoseconds - 999_999) / 1_000_000
    }

    /// RFC 3339 in UTC with nanosecond precision, e.g. `2026-03-14T10:00:00.123456789Z`.
    package var rfc3339: String {
        var seconds = self.nanoseconds / 1_000_000_000
        var fraction = self.nanoseconds % 1_000_000_000
        if fraction < 0 {
            fraction += 1_000_000_000
            seconds -= 1
        }
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        let (year, month, day) = Self.civilDate(fromDays: days)
        let hour = secondOfDay / 3_600
        let minute = (secondOfDay % 3_600) / 60
        let second = secondOfDay % 60
        // Digits straight into 30 bytes: every report prints several of these. Int64 nanoseconds span the years
        // 1677 to 2262, so every year has four digits.
        var text = [UInt8](repeating: 0, count: 30)
        func put(_ value: Int64, _ width: Int, at end: Int) {
            var value = value
            for index in stride(from: end - 1, through: end - width, by: -1) {
                text[index] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            }
        }
        put(year, 4, at: 4)
        put(month, 2, at: 7)
        put(day, 2, at: 10)
        put(hour, 2, at: 13)
        put(minute, 2, at: 16)
        put(second, 2, at: 19)
        put(fraction, 9, at: 29)
        (text[4], text[7], text[10]) = (UInt8(ascii: "-"), UInt8(ascii: "-"), UInt8(ascii: "T"))
        (text[13], text[16], text[19], text[29]) =
            (UInt8(ascii: ":"), UInt8(ascii: ":"), UInt8(ascii: "."), UInt8(ascii: "Z"))
        return String(decoding: text, as: UTF8.self)
    }

    /// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's civil-from-days algorithm).
    private static func civilDate(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPrime = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthPrime + 2) / 5 + 1
        let month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }
}
