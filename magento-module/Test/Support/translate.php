<?php
/**
 * Magento's __() for templates rendered outside Magento (TemplateRenderer): %1, %2… replaced by the
 * arguments, as Magento's Phrase renderer does without a translation.
 */
declare(strict_types=1);

if (!function_exists('__')) {
    function __(string $text, mixed ...$args): string
    {
        foreach (array_values($args) as $i => $arg) {
            $text = str_replace('%' . ($i + 1), (string)$arg, $text);
        }
        return $text;
    }
}
