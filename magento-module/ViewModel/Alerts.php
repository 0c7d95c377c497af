<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\ViewModel;

use Cronkeeper\Scheduler\Model\Acl\RoleResolver;
use Cronkeeper\Scheduler\Model\Alert\AlertBoard;
use Magento\Framework\AuthorizationInterface;
use Magento\Framework\UrlInterface;
use Magento\Framework\View\Element\Block\ArgumentInterface;

/**
 * The Alerts page (view/adminhtml/templates/alert/index.phtml): open and recent alerts, rules, channels.
 */
class Alerts implements ArgumentInterface
{
    use LoadsOnce;

    public function __construct(
        private readonly AlertBoard $board,
        private readonly UrlInterface $url,
        private readonly AuthorizationInterface $authorization
    ) {
    }

    /**
     * @return array{open: list<array<string, mixed>>, openCount: int, recent: list<array<string, mixed>>,
     *               rules: list<array<string, mixed>>, channels: list<array<string, mixed>>, error: ?string}
     */
    public function getPage(): array
    {
        return $this->loadOnce(
            fn (): array => $this->board->load(),
            ['open' => [], 'openCount' => 0, 'recent' => [], 'rules' => [], 'channels' => []]
        );
    }

    public function canOperate(): bool
    {
        return $this->authorization->isAllowed(RoleResolver::RESOURCE_OPERATE);
    }

    public function canManage(): bool
    {
        return $this->authorization->isAllowed(RoleResolver::RESOURCE_MANAGE);
    }

    public function getAcknowledgeUrl(): string
    {
        return $this->url->getUrl('cronkeeper/alert/acknowledge');
    }

    public function getTestChannelUrl(): string
    {
        return $this->url->getUrl('cronkeeper/alert/testchannel');
    }

    public function getRuleEditUrl(?string $name = null): string
    {
        return $this->url->getUrl('cronkeeper/rule/edit', $name === null ? [] : ['name' => $name]);
    }

    public function getRuleDeleteUrl(): string
    {
        return $this->url->getUrl('cronkeeper/rule/delete');
    }

    public function getChannelEditUrl(?string $name = null): string
    {
        return $this->url->getUrl('cronkeeper/channel/edit', $name === null ? [] : ['name' => $name]);
    }

    public function getChannelDeleteUrl(): string
    {
        return $this->url->getUrl('cronkeeper/channel/delete');
    }

    public function getRunUrl(string $id): string
    {
        return $this->url->getUrl('cronkeeper/run/view', ['id' => $id]);
    }
}
