<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Form;

/**
 * Turns posted admin form fields into GraphQL input values. Plain PHP.
 *
 * The service validates; these helpers only pick the GraphQL type. Text that is not a whole number is
 * sent as typed, so the service's own error ("expected type Int") reaches the admin verbatim instead
 * of a second, different rule living here.
 */
final class FormValues
{
    /**
     * '' and missing become null; whole numbers become int; anything else is returned as typed.
     */
    public static function intOrRaw(mixed $value): int|string|null
    {
        if ($value === null || is_array($value)) {
            return null;
        }
        $text = trim((string)$value);
        if ($text === '') {
            return null;
        }
        return preg_match('/^[+-]?\d{1,18}$/', $text) === 1 ? (int)$text : $text;
    }

    /**
     * '' and missing become null; numbers become float; anything else is returned as typed.
     */
    public static function floatOrRaw(mixed $value): float|string|null
    {
        if ($value === null || is_array($value)) {
            return null;
        }
        $text = trim((string)$value);
        if ($text === '') {
            return null;
        }
        return is_numeric($text) ? (float)$text : $text;
    }

    public static function text(mixed $value): ?string
    {
        if (!is_scalar($value)) {
            return null;
        }
        $text = trim((string)$value);
        return $text === '' ? null : $text;
    }

    /**
     * A list typed as one item per line or comma-separated, or posted as an array (multi-selects).
     *
     * @return list<string>
     */
    public static function textList(mixed $value): array
    {
        $raw = is_array($value) ? $value : preg_split('/[\r\n,]+/', is_scalar($value) ? (string)$value : '');
        $items = [];
        foreach ($raw ?: [] as $item) {
            $item = is_scalar($item) ? trim((string)$item) : '';
            if ($item !== '') {
                $items[] = $item;
            }
        }
        return array_values(array_unique($items));
    }

    /**
     * Checkbox/select semantics: '1', 'true', 'yes', 'on' are true.
     */
    public static function flag(mixed $value): bool
    {
        return is_scalar($value) && in_array(strtolower(trim((string)$value)), ['1', 'true', 'yes', 'on'], true);
    }
}
