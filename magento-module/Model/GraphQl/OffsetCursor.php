<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\GraphQl;

/**
 * The service's connection cursors: opaque to most clients, but they encode a row offset, which lets
 * an admin grid jump straight to page N. This is the one place that knows the encoding.
 *
 * Encoding (service/src/api/connection.rs): URL-safe base64 without padding of "o:<offset>", where
 * <offset> is the 0-based index of a row; `after: cursor(n)` returns rows from n + 1 on.
 */
class OffsetCursor
{
    public const PREFIX = 'o:';

    public static function encode(int $offset): string
    {
        if ($offset < 0) {
            throw new \InvalidArgumentException('A cursor offset cannot be negative.');
        }
        return rtrim(strtr(base64_encode(self::PREFIX . $offset), '+/', '-_'), '=');
    }

    public static function decode(string $cursor): ?int
    {
        $raw = base64_decode(strtr($cursor, '-_', '+/'), true);
        if ($raw === false || !str_starts_with($raw, self::PREFIX)) {
            return null;
        }
        $number = substr($raw, strlen(self::PREFIX));
        return ctype_digit($number) ? (int)$number : null;
    }

    /**
     * The `after` argument that makes a page start at row $firstRow (0-based); null for the first row.
     */
    public static function afterForFirstRow(int $firstRow): ?string
    {
        return $firstRow <= 0 ? null : self::encode($firstRow - 1);
    }
}
