<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\ViewModel;

use Cronkeeper\Scheduler\Model\Acl\RoleResolver;
use Cronkeeper\Scheduler\Model\Run\RunDetails;
use Magento\Framework\App\RequestInterface;
use Magento\Framework\AuthorizationInterface;
use Magento\Framework\UrlInterface;
use Magento\Framework\View\Element\Block\ArgumentInterface;

/**
 * The run page (view/adminhtml/templates/run/view.phtml): status, times, the attempt chain, output
 * tail and error; kill and retry buttons for operators.
 */
class RunView implements ArgumentInterface
{
    use LoadsOnce;

    /** Statuses a run can still be killed in; the others are finished and can be retried. */
    public const LIVE_STATUSES = ['PENDING', 'QUEUED', 'RUNNING'];

    public function __construct(
        private readonly RunDetails $details,
        private readonly RequestInterface $request,
        private readonly UrlInterface $url,
        private readonly AuthorizationInterface $authorization
    ) {
    }

    public function getId(): string
    {
        return trim((string)$this->request->getParam('id'));
    }

    /**
     * @return array{run: array<string, mixed>|null, attempts: list<array<string, mixed>>, error: ?string}
     */
    public function getPage(): array
    {
        return $this->loadOnce(function (): array {
            $page = $this->details->load($this->getId());
            return $page + ['error' => $page['run'] === null
                ? (string)__('There is no run %1 in cronkeeper (it may have been purged).', $this->getId())
                : null];
        }, ['run' => null, 'attempts' => []]);
    }

    public function canOperate(): bool
    {
        return $this->authorization->isAllowed(RoleResolver::RESOURCE_OPERATE);
    }

    /**
     * @param array<string, mixed> $run
     */
    public function canKill(array $run): bool
    {
        return $this->canOperate() && in_array($run['status'] ?? '', self::LIVE_STATUSES, true) && empty($run['killRequested']);
    }

    /**
     * @param array<string, mixed> $run
     */
    public function canRetry(array $run): bool
    {
        return $this->canOperate() && !in_array($run['status'] ?? '', self::LIVE_STATUSES, true);
    }

    public function getRunUrl(string $id): string
    {
        return $this->url->getUrl('cronkeeper/run/view', ['id' => $id]);
    }

    public function getKillUrl(): string
    {
        return $this->url->getUrl('cronkeeper/run/kill', ['id' => $this->getId()]);
    }

    public function getRetryUrl(): string
    {
        return $this->url->getUrl('cronkeeper/run/retry', ['id' => $this->getId()]);
    }

    public function getRunsUrl(string $jobCode): string
    {
        return $this->url->getUrl('cronkeeper/run/index', ['job_code' => $jobCode]);
    }

    public function getJobUrl(string $jobCode): string
    {
        return $this->url->getUrl('cronkeeper/job/edit', ['code' => $jobCode]);
    }
}
