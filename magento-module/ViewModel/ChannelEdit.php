<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\ViewModel;

use Cronkeeper\Scheduler\Model\Alert\AlertBoard;
use Cronkeeper\Scheduler\Model\Alert\AlertChannelForm;
use Magento\Framework\App\Request\DataPersistorInterface;
use Magento\Framework\App\RequestInterface;
use Magento\Framework\UrlInterface;
use Magento\Framework\View\Element\Block\ArgumentInterface;

/**
 * The alert channel form (view/adminhtml/templates/alert/channel_edit.phtml): a new channel, or an API
 * channel to change. The URL and the webhook key are write-only: the fields start empty, and on an edit
 * an empty field keeps the stored value. Channels from the service's configuration file are shown
 * read-only (the service refuses them).
 */
class ChannelEdit implements ArgumentInterface
{
    use LoadsOnce;

    public const PERSISTED_FORM = 'cronkeeper_channel_form';

    public function __construct(
        private readonly AlertBoard $board,
        private readonly RequestInterface $request,
        private readonly UrlInterface $url,
        private readonly DataPersistorInterface $dataPersistor
    ) {
    }

    public function getName(): string
    {
        return trim((string)$this->request->getParam('name'));
    }

    public function isNew(): bool
    {
        return $this->getName() === '';
    }

    /**
     * @return array{channel: array<string, mixed>|null, error: ?string}
     */
    public function getPage(): array
    {
        return $this->loadOnce(function (): array {
            $channel = $this->isNew() ? null : AlertChannelForm::find($this->board->load(1)['channels'], $this->getName());
            return ['channel' => $channel, 'error' => !$this->isNew() && $channel === null
                ? (string)__('There is no alert channel "%1".', $this->getName())
                : null];
        }, ['channel' => null]);
    }

    public function isReadOnly(): bool
    {
        return ($this->getPage()['channel']['source'] ?? 'API') === 'CONFIG';
    }

    /**
     * What a refused save posted (name and kind only, once), else the channel's, else a new one's.
     *
     * @return array{name: string, kind: string, url: string, secret: string}
     */
    public function getFormValues(): array
    {
        $values = AlertChannelForm::toForm($this->getPage()['channel'] ?? []);
        $persisted = $this->dataPersistor->get(self::PERSISTED_FORM);
        if (is_array($persisted) && ($persisted['original_name'] ?? '') === $this->getName()) {
            $this->dataPersistor->clear(self::PERSISTED_FORM);
            $values['name'] = (string)($persisted['name'] ?? $values['name']);
            $values['kind'] = (string)($persisted['kind'] ?? $values['kind']);
        }
        return $values;
    }

    /**
     * What the service shows of the stored URL and whether a key is set, for the "leave empty to keep" notes.
     *
     * @return array{maskedUrl: string, signed: bool, usedBy: list<string>}
     */
    public function getStored(): array
    {
        $channel = $this->getPage()['channel'] ?? [];
        return [
            'maskedUrl' => (string)($channel['maskedUrl'] ?? ''),
            'signed' => !empty($channel['signed']),
            'usedBy' => array_values($channel['usedBy'] ?? []),
        ];
    }

    /**
     * @return list<string>
     */
    public function getKinds(): array
    {
        return AlertChannelForm::KINDS;
    }

    public function getSaveUrl(): string
    {
        return $this->url->getUrl('cronkeeper/channel/save');
    }

    public function getBackUrl(): string
    {
        return $this->url->getUrl('cronkeeper/alert/index');
    }
}
