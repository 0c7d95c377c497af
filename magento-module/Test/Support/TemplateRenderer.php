<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Test\Support;

/**
 * Renders one of the module's .phtml templates outside Magento, the way Magento's PHP template engine
 * does (the template sees `$block` and `$escaper`), so a test can feed it real data and read the HTML.
 * The stand-ins do only what the templates use: `$block->getData('view_model')` and `getFormKey()`, and
 * Escaper's escapeHtml() / escapeHtmlAttr() / escapeUrl() with htmlspecialchars(); `__()` comes from
 * translate.php.
 */
final class TemplateRenderer
{
    /** What `$block->getFormKey()` returns. */
    public const FORM_KEY = 'test-form-key';

    public static function render(string $template, object $viewModel): string
    {
        require_once __DIR__ . '/translate.php';
        $block = new class ($viewModel) {
            public function __construct(private readonly object $viewModel)
            {
            }

            public function getData(string $key): mixed
            {
                return $key === 'view_model' ? $this->viewModel : null;
            }

            public function getFormKey(): string
            {
                return TemplateRenderer::FORM_KEY;
            }
        };
        $escaper = new class () {
            public function escapeHtml(mixed $value): string
            {
                return htmlspecialchars((string)$value, ENT_QUOTES | ENT_SUBSTITUTE, 'UTF-8');
            }

            public function escapeHtmlAttr(mixed $value): string
            {
                return htmlspecialchars((string)$value, ENT_QUOTES | ENT_SUBSTITUTE, 'UTF-8');
            }

            public function escapeUrl(string $url): string
            {
                return htmlspecialchars($url, ENT_QUOTES | ENT_SUBSTITUTE, 'UTF-8');
            }
        };
        $file = CRONKEEPER_MODULE_DIR . '/view/adminhtml/templates/' . $template;

        return (static function () use ($block, $escaper, $file): string {
            ob_start();
            try {
                include $file;
            } finally {
                $html = (string)ob_get_clean();
            }
            return $html;
        })();
    }
}
