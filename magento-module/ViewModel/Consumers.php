<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\ViewModel;

use Cronkeeper\Scheduler\Model\Acl\RoleResolver;
use Cronkeeper\Scheduler\Model\Consumer\ConsumerBoard;
use Magento\Framework\AuthorizationInterface;
use Magento\Framework\UrlInterface;
use Magento\Framework\View\Element\Block\ArgumentInterface;

/**
 * The Queues & Consumers page (view/adminhtml/templates/consumer/index.phtml).
 */
class Consumers implements ArgumentInterface
{
    use LoadsOnce;

    public function __construct(
        private readonly ConsumerBoard $board,
        private readonly UrlInterface $url,
        private readonly AuthorizationInterface $authorization
    ) {
    }

    /**
     * @return array{queues: list<array<string, mixed>>, consumers: list<array<string, mixed>>, error: ?string}
     */
    public function getPage(): array
    {
        return $this->loadOnce(fn (): array => $this->board->load(), ['queues' => [], 'consumers' => []]);
    }

    public function canOperate(): bool
    {
        return $this->authorization->isAllowed(RoleResolver::RESOURCE_OPERATE);
    }

    /**
     * @param string $action start, stop, restart or scale
     */
    public function getActionUrl(string $action): string
    {
        return $this->url->getUrl('cronkeeper/consumer/' . $action);
    }
}
