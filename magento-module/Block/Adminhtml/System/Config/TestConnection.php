<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Block\Adminhtml\System\Config;

use Magento\Config\Block\System\Config\Form\Field;
use Magento\Framework\Data\Form\Element\AbstractElement;

/**
 * The "Test connection" button of Stores > Configuration > Advanced > Cronkeeper.
 * It tests the saved configuration (save first) and shows the result next to the button.
 */
class TestConnection extends Field
{
    /**
     * @param AbstractElement $element
     * @return string
     * @SuppressWarnings(PHPMD.CamelCaseMethodName)
     */
    protected function _getElementHtml(AbstractElement $element)
    {
        $url = $this->escapeUrl($this->getUrl('cronkeeper/system/testConnection'));
        $id = $this->escapeHtmlAttr($element->getHtmlId());
        $label = $this->escapeHtml(__('Test Connection'));

        return <<<HTML
<button type="button" class="action-default" id="{$id}_button" data-url="{$url}">{$label}</button>
<div id="{$id}_result" class="message" style="margin-top:8px;display:none"></div>
<script type="text/x-magento-init">
{"#{$id}_button": {"Cronkeeper_Scheduler/js/test-connection": {"result": "#{$id}_result"}}}
</script>
HTML;
    }
}
